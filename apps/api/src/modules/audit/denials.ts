// One shape for every authz.denied event, whether the guard refused the request or a service did
// (a group member changing what only the group's owner may): the route as the target, and the
// method, path and permission required as the reason. Recorded through recordSoon, so a flood of
// denials is batched and deduplicated.
import type { FastifyRequest } from 'fastify';
import type { Permission } from '@codex-lb/shared';
import type { Principal } from '../../common/principal';
import type { AuditService } from './audit.service';

export function recordDenial(
  audit: AuditService,
  request: FastifyRequest,
  principal: Principal | undefined,
  permission: Permission | undefined,
  why: string,
): void {
  const route = request.routeOptions?.url ?? '';
  const query = request.url.indexOf('?');
  const path = (query >= 0 ? request.url.slice(0, query) : request.url).slice(0, 300);
  audit.recordSoon({
    action: 'authz.denied',
    actor: principal ?? null,
    outcome: 'denied',
    target: { type: 'route', id: `${request.method} ${route || path}`, label: path },
    reason: `${request.method} ${path} requires ${permission ?? 'an auth declaration'}: ${why}`,
  });
}
