import type { AuthenticatedSession, Permission } from '@codex-lb/shared';

/** The dashboard only hides; the API is what enforces. Both read the same permission list. */
export function can(
  session: Pick<AuthenticatedSession, 'permissions'> | null | undefined,
  permission?: Permission,
): boolean {
  if (!permission) return true;
  return Boolean(session?.permissions.includes(permission));
}
