// The one list of permissions and the preset roles over it. The API seeds both into the database
// (so a role can only ever hold a permission from this list), enforces them, and the dashboard
// hides what a session lacks, all from this file. Custom roles are rows in the database over the
// same vocabulary; a role is named by its slug everywhere the API speaks.

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
  'roles:read',
  'roles:manage',
  'audit:read',
  'scim-tokens:manage',
  'identity-providers:manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** What each permission allows, as the roles page shows it. */
export const PERMISSION_DESCRIPTIONS: Readonly<Record<Permission, string>> = {
  'accounts:read': "See upstream accounts (their own, their groups', or everyone's with owners:all)",
  'accounts:write': 'Add, change, pause, share and delete upstream accounts they may change',
  'accounts:assign-owner': 'Move an upstream account to another owner',
  'api-keys:read': 'See API keys',
  'api-keys:write': 'Create, change, rotate and revoke API keys',
  'usage:read': 'See usage, costs and request logs',
  'users:read': 'List dashboard users',
  'users:manage': 'Create, change, reset and delete dashboard users',
  'owners:all': "See and act on every owner's accounts, keys, groups and usage, not only their own",
  'profile:write': 'Change their own password and sign-in settings',
  'proxy:use': 'Send requests through the proxy with a key',
  'groups:read': 'See groups and their members',
  'groups:write': 'Create groups and change the groups they own',
  'service-accounts:read': 'See service accounts',
  'service-accounts:write': 'Create, change and disable service accounts and their keys',
  'roles:read': 'See roles and who holds them',
  'roles:manage': 'Create, change and delete custom roles',
  'audit:read': 'Read and export the audit log',
  'scim-tokens:manage': 'Create and revoke the tokens a company directory provisions users and groups with (SCIM)',
  'identity-providers:manage':
    'Configure company sign-in (OpenID Connect providers, their mappings and invitations) and the local-login policy',
};

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** A role is named by its slug: a preset's or a custom role's. */
export type RoleSlug = string;
/** Kept for the places that spoke of the two fixed roles: any role slug now. */
export type Role = RoleSlug;

export const PRESET_ROLE_SLUGS = ['admin', 'operator', 'viewer', 'user'] as const;
export type PresetRoleSlug = (typeof PRESET_ROLE_SLUGS)[number];

/** Lowercase letters, digits and dashes, 2-32 characters, starting with a letter or digit. */
export const ROLE_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,31}$/;
export const ROLE_NAME_MAX_LENGTH = 64;
export const ROLE_MAX_PERMISSIONS = PERMISSIONS.length;

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

/**
 * Accounts, keys and usage of every owner, without managing people or roles: no users:manage,
 * roles:manage or audit:read. users:read lists the people an account can be moved to.
 */
const OPERATOR_PERMISSIONS: readonly Permission[] = [
  'owners:all',
  'accounts:read',
  'accounts:write',
  'accounts:assign-owner',
  'api-keys:read',
  'api-keys:write',
  'usage:read',
  'users:read',
  'groups:read',
  'service-accounts:read',
  'roles:read',
  'proxy:use',
  'profile:write',
];

/**
 * Reads what it may see and writes nothing. Without owners:all that is its own and its groups'
 * accounts, keys, usage and service accounts: a reader of everyone's data is a custom role
 * (viewer plus owners:all). profile:write only lets them change their own password.
 */
const VIEWER_PERMISSIONS: readonly Permission[] = [
  'accounts:read',
  'api-keys:read',
  'usage:read',
  'groups:read',
  'service-accounts:read',
  'profile:write',
];

export interface PresetRole {
  /** Stable across installations: the migration inserts these ids. */
  id: string;
  slug: PresetRoleSlug;
  name: string;
  permissions: readonly Permission[];
}

export const PRESET_ROLES: readonly PresetRole[] = [
  { id: '6f1c0000-0000-4000-8000-000000000001', slug: 'admin', name: 'Admin', permissions: PERMISSIONS },
  { id: '6f1c0000-0000-4000-8000-000000000002', slug: 'operator', name: 'Operator', permissions: OPERATOR_PERMISSIONS },
  { id: '6f1c0000-0000-4000-8000-000000000003', slug: 'viewer', name: 'Viewer', permissions: VIEWER_PERMISSIONS },
  { id: '6f1c0000-0000-4000-8000-000000000004', slug: 'user', name: 'User', permissions: USER_PERMISSIONS },
];

export const ROLE_PERMISSIONS: Readonly<Record<PresetRoleSlug, readonly Permission[]>> = {
  admin: PERMISSIONS,
  operator: OPERATOR_PERMISSIONS,
  viewer: VIEWER_PERMISSIONS,
  user: USER_PERMISSIONS,
};

export function isPresetRole(value: unknown): value is PresetRoleSlug {
  return typeof value === 'string' && (PRESET_ROLE_SLUGS as readonly string[]).includes(value);
}

/**
 * A preset's permissions (empty for any other slug). The API resolves a session's permissions
 * from the database, custom roles included; this is for code that knows it holds a preset.
 */
export function permissionsForRole(role: RoleSlug): Permission[] {
  return isPresetRole(role) ? [...ROLE_PERMISSIONS[role]] : [];
}

/** GET /api/permissions */
export interface PermissionDto {
  id: Permission;
  description: string;
}

/** GET /api/roles, GET /api/roles/:id */
export interface RoleDto {
  id: string;
  slug: RoleSlug;
  name: string;
  /** Presets are defined in code: never edited or deleted. */
  preset: boolean;
  permissions: Permission[];
  /** How many users hold it (active or not). */
  holders?: number;
}

export interface CreateRoleRequest {
  slug: RoleSlug;
  name: string;
  permissions: Permission[];
}

export interface UpdateRoleRequest {
  name?: string;
  permissions?: Permission[];
}

/** GET /api/roles/:id/holders */
export interface RoleHolderDto {
  id: string;
  username: string;
  isActive: boolean;
}
