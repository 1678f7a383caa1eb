import { PERMISSIONS, permissionsForRole, type Permission } from '@codex-lb/shared';
import { keyPermissions, keyPrincipal, NEVER_THROUGH_A_KEY } from './key-permissions';
import type { Principal } from './principal';

const USER = permissionsForRole('user');
const ADMIN = permissionsForRole('admin');

describe('keyPermissions', () => {
  it('is the intersection of the scopes and the owner role', () => {
    expect([...keyPermissions(USER, ['usage:read', 'accounts:read'])].sort()).toEqual(['accounts:read', 'usage:read']);
    // A user's key asking for admin permissions gets none of them.
    expect([...keyPermissions(USER, ['owners:all', 'users:manage', 'usage:read'])]).toEqual(['usage:read']);
  });

  it('maps proxy to proxy:use, which no /api route asks for', () => {
    expect([...keyPermissions(ADMIN, ['proxy'])]).toEqual(['proxy:use']);
  });

  it('never grants user, role or owner management, even to an admin key with every scope', () => {
    const all = keyPermissions(ADMIN, [...PERMISSIONS]);
    for (const permission of NEVER_THROUGH_A_KEY) expect(all.has(permission)).toBe(false);
    for (const permission of ['users:read', 'users:manage', 'owners:all', 'accounts:assign-owner', 'profile:write']) {
      expect(all.has(permission as Permission)).toBe(false);
    }
    expect(all.size).toBe(PERMISSIONS.length - NEVER_THROUGH_A_KEY.size);
  });

  it('follows a custom role: only what the role holds', () => {
    expect([...keyPermissions(['usage:read'], ['usage:read', 'accounts:read'])]).toEqual(['usage:read']);
    expect(keyPermissions([], ['proxy', 'usage:read']).size).toBe(0);
  });

  it('ignores unknown scopes', () => {
    expect(keyPermissions(ADMIN, ['usage:*', 'USAGE:READ', '', 'usage:read ']).size).toBe(0);
  });
});

describe('keyPrincipal', () => {
  const owner: Principal = {
    kind: 'api_key',
    userId: 'u',
    username: 'alice',
    role: 'user',
    permissions: new Set(permissionsForRole('user')),
    mustChangePassword: false,
    apiKeyId: 'k',
  };

  it('keeps the owner and key id, narrows the permissions, and is built once per key object', () => {
    const key = { ownerPermissions: USER, scopes: ['usage:read'], principal: owner };
    const principal = keyPrincipal(key);
    expect(principal).toMatchObject({ kind: 'api_key', userId: 'u', username: 'alice', apiKeyId: 'k' });
    expect([...principal.permissions]).toEqual(['usage:read']);
    expect(keyPrincipal(key)).toBe(principal);
  });
});
