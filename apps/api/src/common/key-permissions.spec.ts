import { PERMISSIONS, permissionsForRole, type Permission } from '@codex-lb/shared';
import { keyPermissions, keyPrincipal, NEVER_THROUGH_A_KEY } from './key-permissions';
import type { Principal } from './principal';

describe('keyPermissions', () => {
  it('is the intersection of the scopes and the owner role', () => {
    expect([...keyPermissions('user', ['usage:read', 'accounts:read'])].sort()).toEqual([
      'accounts:read',
      'usage:read',
    ]);
    // A user's key asking for admin permissions gets none of them.
    expect([...keyPermissions('user', ['owners:all', 'users:manage', 'usage:read'])]).toEqual(['usage:read']);
  });

  it('maps proxy to proxy:use, which no /api route asks for', () => {
    expect([...keyPermissions('admin', ['proxy'])]).toEqual(['proxy:use']);
  });

  it('never grants user, role or owner management, even to an admin key with every scope', () => {
    const all = keyPermissions('admin', [...PERMISSIONS]);
    for (const permission of NEVER_THROUGH_A_KEY) expect(all.has(permission)).toBe(false);
    for (const permission of ['users:read', 'users:manage', 'owners:all', 'accounts:assign-owner', 'profile:write']) {
      expect(all.has(permission as Permission)).toBe(false);
    }
    expect(all.size).toBe(PERMISSIONS.length - NEVER_THROUGH_A_KEY.size);
  });

  it('ignores unknown scopes', () => {
    expect(keyPermissions('admin', ['usage:*', 'USAGE:READ', '', 'usage:read ']).size).toBe(0);
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
    const key = { ownerRole: 'user' as const, scopes: ['usage:read'], principal: owner };
    const principal = keyPrincipal(key);
    expect(principal).toMatchObject({ kind: 'api_key', userId: 'u', username: 'alice', apiKeyId: 'k' });
    expect([...principal.permissions]).toEqual(['usage:read']);
    expect(keyPrincipal(key)).toBe(principal);
  });
});
