// The one global guard of Nest's routes: default deny. A handler without @Public() or
// @RequirePermission() is refused, so a forgotten declaration fails closed (and the route
// meta-spec catches it first). The API-key routes of the proxy are not Nest routes: see
// modules/proxy/proxy-http.ts, which authenticates every one of them the same way.
//
// A request is authenticated by its session cookie or, when it carries no session cookie, by an
// API key (Authorization: Bearer sk-clb-... or x-api-key). Both resolve to the same principal;
// a key's permissions are its scopes intersected with its owner's (common/key-permissions.ts).
// The Origin check guards cookies against cross-site use; a key request has no cookie to abuse,
// so it is not checked.
import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Permission } from '@codex-lb/shared';
import { SETTINGS, type Settings } from '../config/settings';
import { ApiError } from './api-error';
import { ALLOW_PENDING_MFA_KEY, ALLOW_PENDING_PASSWORD_KEY, PERMISSION_KEY, PUBLIC_KEY } from './decorators';
import type { Principal } from './principal';
import { setContextPrincipal } from './request-context';
import { AuditService } from '../modules/audit/audit.service';
import { recordDenial } from '../modules/audit/denials';
import { cookieNames } from './session-cookie';

export interface PrincipalRequest extends FastifyRequest {
  principal?: Principal;
}

/** Resolves a dashboard session token to a principal (implemented by the auth module). */
export abstract class SessionAuthenticator {
  abstract authenticate(token: string): Promise<Principal | null>;
}

/**
 * Resolves the API key a request carries to its principal (implemented by the auth module over
 * the API-key authenticator): null when the request carries no key; a 401 ApiError for a key
 * that is malformed, unknown, revoked, disabled, expired or whose owner is inactive.
 */
export abstract class KeyAuthenticator {
  abstract authenticate(headers: FastifyRequest['headers']): Promise<Principal | null>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger(AccessGuard.name);
  private readonly allowedOrigins: Set<string>;
  private readonly sessionCookie: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionAuthenticator,
    private readonly keys: KeyAuthenticator,
    private readonly audit: AuditService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.allowedOrigins = new Set(settings.dashboardOrigins);
    this.sessionCookie = cookieNames(settings).session;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    try {
      return await this.check(context);
    } catch (error) {
      // Every 403 is an authz.denied event (batched: a flood of them costs a few rows).
      if (error instanceof ApiError && error.getStatus() === 403) {
        recordDenial(this.audit, this.reflector, context, error.message);
      }
      throw error;
    }
  }

  private async check(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) === true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    const request = context.switchToHttp().getRequest<PrincipalRequest>();

    const token = request.cookies?.[this.sessionCookie];
    if (token) {
      this.checkOrigin(request);
      request.principal = (await this.sessions.authenticate(token)) ?? undefined;
    } else {
      const byKey = await this.keys.authenticate(request.headers).catch((error: unknown) => {
        // A public route answers as for anyone (a stale key header does not break sign-in).
        if (isPublic) return null;
        throw error;
      });
      if (byKey) request.principal = byKey;
      else this.checkOrigin(request);
    }

    setContextPrincipal(request.principal);

    if (isPublic) return true;
    if (!permission) {
      this.logger.error(`Route without an auth declaration refused: ${request.method} ${request.url}`);
      throw ApiError.forbidden();
    }
    if (!request.principal) {
      throw ApiError.unauthenticated(
        token ? 'Your session has expired. Sign in again.' : undefined,
        token ? 'session_expired' : 'unauthenticated',
      );
    }
    const allowPending = this.reflector.getAllAndOverride<boolean>(ALLOW_PENDING_PASSWORD_KEY, targets) === true;
    const allowPendingMfa = this.reflector.getAllAndOverride<boolean>(ALLOW_PENDING_MFA_KEY, targets) === true;
    return this.authorize(request.principal, permission, !allowPending, !allowPendingMfa);
  }

  private authorize(
    principal: Principal,
    permission: Permission | undefined,
    enforcePasswordChange: boolean,
    enforceMfaEnrolment = true,
  ) {
    if (!permission) throw ApiError.forbidden();
    if (enforcePasswordChange && principal.mustChangePassword) {
      throw ApiError.forbidden('Change your password before continuing.', 'password_change_required');
    }
    // CODEX_LB_MFA_REQUIRED: a session whose user must have two-factor sign-in and has not set
    // it up reaches only enrolment (and session, sign-out, password change).
    if (enforceMfaEnrolment && principal.mfa?.required && !principal.mfa.enrolled) {
      throw ApiError.forbidden('Set up two-factor sign-in before continuing.', 'mfa_enrolment_required');
    }
    if (!principal.permissions.has(permission)) throw ApiError.forbidden();
    return true;
  }

  /** Cookie-authenticated changes must come from the dashboard's own origin (CSRF defence). */
  private checkOrigin(request: FastifyRequest): void {
    if (SAFE_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (!this.allowedOrigins.has(origin)) {
      throw ApiError.forbidden('This request came from an origin that is not allowed.', 'origin_not_allowed');
    }
  }
}
