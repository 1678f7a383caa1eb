// How /scim/v2 is authenticated: only by a SCIM token (Authorization: Bearer scim-clb-...).
// The routes are @Public() for the global AccessGuard, which therefore grants nothing here; this
// guard then demands a live SCIM token and nothing else, so a dashboard session cookie or an API
// key (which the global guard may have resolved to a principal) never authorises a SCIM call.
// @ScimTokenAuth() declares it on a controller, and the route meta-spec reads SCIM_TOKEN_KEY.
import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../common/decorators';
import type { CredentialActor } from '../audit/audit.types';
import { ScimError, ScimExceptionFilter } from './scim-error';
import { bearerToken, isWellFormedScimToken, scimTokenDigest } from './scim-token-secret';
import { ScimTokensRepository, type ScimTokenIdentity } from './scim-tokens.repository';

export const SCIM_TOKEN_KEY = 'codex-lb:scim-token';

export interface ScimRequest extends FastifyRequest {
  scimToken?: ScimTokenIdentity;
}

@Injectable()
export class ScimTokenGuard implements CanActivate {
  constructor(private readonly tokens: ScimTokensRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ScimRequest>();
    const token = bearerToken(request.headers.authorization);
    if (token === null) throw ScimError.unauthorized();
    if (!isWellFormedScimToken(token)) throw ScimError.unauthorized('This is not a SCIM token.');
    const identity = await this.tokens.authenticate(scimTokenDigest(token));
    if (!identity) throw ScimError.unauthorized('This SCIM token is unknown or was revoked.');
    request.scimToken = identity;
    return true;
  }
}

/** A SCIM controller: public to the dashboard's guard, SCIM-token-only here, SCIM's error shape. */
export const ScimTokenAuth = () =>
  applyDecorators(
    Public(),
    SetMetadata(SCIM_TOKEN_KEY, true),
    UseGuards(ScimTokenGuard),
    UseFilters(ScimExceptionFilter),
  );

/** The SCIM token the request authenticated with, as the audit log's actor. */
export const ScimActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): CredentialActor => {
  const token = ctx.switchToHttp().getRequest<ScimRequest>().scimToken!;
  return { kind: 'credential', id: token.id, label: `SCIM: ${token.name}`, authMethod: `scim_token:${token.prefix}` };
});

/** `<scheme>://<host>/scim/v2` as the directory called it: the base of every `meta.location`. */
export const ScimBaseUrl = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  // `host` keeps the port (and follows X-Forwarded-Host from a trusted proxy); `hostname` drops it.
  const host = /^[A-Za-z0-9.:[\]-]{1,255}$/.test(request.host) ? request.host : 'localhost';
  return `${request.protocol}://${host}/scim/v2`;
});
