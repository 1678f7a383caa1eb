// What the dashboard shows follows the session's permissions, never the role's name: a custom
// role is just a list of permissions. The API is what enforces; both read the same vocabulary.
import type { Permission } from '@codex-lb/shared';
import type { BadgeTone } from '@/components/ui/badge';

/** Kept as a name for the vocabulary the dashboard checks. */
export type AnyPermission = Permission;

type PermissionHolder = { permissions: readonly string[] } | null | undefined;

/** The dashboard only hides; the API is what enforces. Both read the same permission list. */
export function can(session: PermissionHolder, permission?: AnyPermission): boolean {
  if (!permission) return true;
  return Boolean(session?.permissions.includes(permission));
}

/** The role badge stands out for whoever manages people or roles, whatever the role is called. */
export function roleTone(session: PermissionHolder): BadgeTone {
  return can(session, 'users:manage') || can(session, 'roles:manage') ? 'violet' : 'neutral';
}
