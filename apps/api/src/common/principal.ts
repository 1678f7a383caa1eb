// The one identity every authenticated request resolves to, whether it came with a dashboard
// session cookie or an API key. Services receive it as an argument; they never read the request.
import type { Permission, RoleSlug } from '@codex-lb/shared';

export interface Principal {
  /**
   * How it was authenticated: a dashboard session or an API key; `internal` is a principal the
   * server builds to act as a service account (to own and list its keys), never from a request.
   */
  kind: 'session' | 'api_key' | 'internal';
  userId: string;
  username: string;
  /** The slug of the user's role (preset or custom). */
  role: RoleSlug;
  permissions: ReadonlySet<Permission>;
  mustChangePassword: boolean;
  sessionId?: string;
  /** Sessions only: whether two-factor sign-in is set up and whether the policy requires it. */
  mfa?: { enrolled: boolean; required: boolean };
  /** Sessions only: whether the user has a dashboard password (not so for directory-made users). */
  hasPassword?: boolean;
  apiKeyId?: string;
}

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.permissions.has(permission);
}
