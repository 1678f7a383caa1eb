// The one list of permissions and the one place roles map to them. The API enforces these and
// the dashboard hides what a session lacks, both from this file.

export const PERMISSIONS = [
  'accounts:read',
  'accounts:write',
  'accounts:assign-owner',
  'api-keys:read',
  'api-keys:write',
  'usage:read',
  'users:read',
  'users:manage',
  'owners:all',
  'profile:write',
  'proxy:use',
  'groups:read',
  'groups:write',
  'service-accounts:read',
  'service-accounts:write',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

const USER_PERMISSIONS: readonly Permission[] = [
  'accounts:read',
  'accounts:write',
  'api-keys:read',
  'api-keys:write',
  'usage:read',
  'profile:write',
  'proxy:use',
  // Groups a user belongs to (their group role decides what they may change), and the service
  // accounts of groups they own.
  'groups:read',
  'groups:write',
  'service-accounts:read',
  'service-accounts:write',
];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  user: USER_PERMISSIONS,
};

export function permissionsForRole(role: Role): Permission[] {
  return [...(ROLE_PERMISSIONS[role] ?? [])];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
