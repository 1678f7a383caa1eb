// One shape for every authz.denied event, whether the guard refused the request or a service did
// (a group member changing what only the group's owner may): the route as the target, and the
// method, path and permission required as the reason. Recorded through recordSoon, so a flood of
// denials is batched and deduplicated.
import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import type { Permission } from '@codex-lb/shared';
import type { PrincipalRequest } from '../../common/access.guard';
import { PERMISSION_KEY } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { runWithRequestContext, USER_AGENT_MAX } from '../../common/request-context';
import type { AuditService } from './audit.service';

/** A Nest route's 403: the route and the permission it declares, from the handler's metadata. */
export function recordDenial(audit: AuditService, reflector: Reflector, context: ExecutionContext, why: string): void {
  const request = context.switchToHttp().getRequest<PrincipalRequest>();
  const permission = reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, [
    context.getHandler(),
    context.getClass(),
  ]);
  const route = request.routeOptions?.url ?? '';
  const query = request.url.indexOf('?');
  const path = (query >= 0 ? request.url.slice(0, query) : request.url).slice(0, 300);
  audit.recordSoon({
    action: 'authz.denied',
    actor: request.principal ?? null,
    outcome: 'denied',
    target: { type: 'route', id: `${request.method} ${route || path}`, label: path },
    reason: `${request.method} ${path} requires ${permission ?? 'an auth declaration'}: ${why}`,
  });
}

/**
 * A proxy route's 403 (a key without the route's permission, or a model the key may not use).
 * The proxy is served outside Fastify, so its request facts are given here.
 */
export function recordProxyDenial(
  audit: AuditService,
  request: { id: string; ip: string | null; req: IncomingMessage },
  principal: Principal,
  route: { method: string; path: string; permission: Permission },
  why: string,
): void {
  const agent = request.req.headers['user-agent'];
  const context = {
    requestId: request.id,
    ip: request.ip,
    userAgent: agent ? agent.slice(0, USER_AGENT_MAX) : null,
    method: route.method,
    path: route.path,
  };
  runWithRequestContext(context, () =>
    audit.recordSoon({
      action: 'authz.denied',
      actor: principal,
      outcome: 'denied',
      target: { type: 'route', id: `${route.method} ${route.path}`, label: route.path },
      reason: `${route.method} ${route.path} requires ${route.permission}: ${why}`,
    }),
  );
}
