// What an API key may do on the dashboard API: the intersection of the key's scopes and its
// owner's permissions (their role's, as stored when the key was loaded: a role change drops the
// cached key), never user, role or owner management whatever the key says. `proxy` is the
// proxy's scope and grants nothing on /api. Built once per authenticated key (the key object is
// replaced whenever the key or its owner changes), so the guard pays a WeakMap lookup per request.
import { API_KEY_FORBIDDEN_SCOPES, PERMISSIONS, type Permission } from '@codex-lb/shared';
import type { Principal } from './principal';

/** Never effective through a key, even if such a scope was stored. */
export const NEVER_THROUGH_A_KEY: ReadonlySet<Permission> = new Set<Permission>(API_KEY_FORBIDDEN_SCOPES);

const KNOWN: ReadonlySet<string> = new Set(PERMISSIONS);

/** `ownerPermissions`: the owner's role's permissions (unknown names are ignored). */
export function keyPermissions(
  ownerPermissions: readonly string[],
  scopes: readonly string[],
): ReadonlySet<Permission> {
  const owner = new Set<string>(ownerPermissions);
  const allowed = new Set<Permission>();
  for (const scope of scopes) {
    const permission = scope === 'proxy' ? 'proxy:use' : scope;
    if (!KNOWN.has(permission)) continue;
    if (owner.has(permission) && !NEVER_THROUGH_A_KEY.has(permission as Permission)) {
      allowed.add(permission as Permission);
    }
  }
  return allowed;
}

/** The fields of an authenticated key the principal is built from. */
export interface ScopedKey {
  ownerPermissions: readonly string[];
  scopes: readonly string[];
  principal: Principal;
}

const principals = new WeakMap<ScopedKey, Principal>();

/** The key's principal for /api routes: its owner, with the key's effective permissions. */
export function keyPrincipal(key: ScopedKey): Principal {
  let principal = principals.get(key);
  if (!principal) {
    principal = Object.freeze({
      ...key.principal,
      kind: 'api_key' as const,
      permissions: keyPermissions(key.ownerPermissions, key.scopes),
      mustChangePassword: false,
    });
    principals.set(key, principal);
  }
  return principal;
}
