// Roles end to end on the real app: presets are listed and immutable; a custom role created,
// assigned, narrowed and widened takes effect on its holder's next request, through a session and
// through an API key; escalation is refused (granting or assigning what one lacks, touching a user
// who holds more, removing the last manager, deleting a role in use); bad input is a 400; and a
// start puts the code's vocabulary and presets back into a database that lacks or altered them.
import request from 'supertest';
import { API_KEY_FORBIDDEN_SCOPES, PERMISSIONS, PRESET_ROLES, permissionsForRole } from '@codex-lb/shared';
import { Client } from 'pg';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './support/app';
import { createTestDatabase } from './support/database';

describe('roles', () => {
  let app: TestApp;
  let adminCookie: string;
  let adminId: string;

  beforeAll(async () => {
    app = await startTestApp({ env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
    adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
    adminId = (await as(adminCookie).get('/api/dashboard-auth/session').expect(200)).body.user.id;
  });
  afterAll(() => app.close());

  function as(cookie: string) {
    return {
      get: (path: string) => request(app.url).get(path).set('cookie', cookie),
      post: (path: string, body?: object) => request(app.url).post(path).set('cookie', cookie).send(body),
      patch: (path: string, body?: object) => request(app.url).patch(path).set('cookie', cookie).send(body),
      delete: (path: string) => request(app.url).delete(path).set('cookie', cookie),
    };
  }
  const withKey = (key: string, path: string) => request(app.url).get(path).set('authorization', `Bearer ${key}`);

  async function createRole(slug: string, permissions: string[], name = slug): Promise<string> {
    const response = await as(adminCookie).post('/api/roles', { slug, name, permissions }).expect(201);
    return response.body.id;
  }

  /** A user (password already changed) holding `role`, with a session. */
  async function userWithRole(username: string, role: string) {
    const user = await createUserSession(app, adminCookie, username);
    if (role !== 'user') await as(adminCookie).patch(`/api/users/${user.id}`, { role }).expect(200);
    return user;
  }

  /** The audit log's actions about one target, oldest first. */
  async function auditedActions(targetId: string): Promise<string[]> {
    const page = await as(adminCookie).get(`/api/audit-events?targetId=${targetId}&limit=100`).expect(200);
    return page.body.items.map((event: { action: string }) => event.action).reverse();
  }

  async function sessionPermissions(cookie: string): Promise<string[]> {
    return (await as(cookie).get('/api/dashboard-auth/session').expect(200)).body.permissions;
  }

  it('lists the vocabulary and the presets, with stable ids and their code-defined permissions', async () => {
    const permissions = await as(adminCookie).get('/api/permissions').expect(200);
    expect(permissions.body.items.map((p: { id: string }) => p.id)).toEqual([...PERMISSIONS]);
    for (const item of permissions.body.items) expect(item.description.length).toBeGreaterThan(5);

    const roles = await as(adminCookie).get('/api/roles').expect(200);
    expect(roles.body.items.slice(0, 4).map((role: { slug: string }) => role.slug)).toEqual([
      'admin',
      'operator',
      'viewer',
      'user',
    ]);
    for (const preset of PRESET_ROLES) {
      const listed = roles.body.items.find((role: { slug: string }) => role.slug === preset.slug);
      expect(listed).toMatchObject({ id: preset.id, name: preset.name, preset: true });
      expect([...listed.permissions].sort()).toEqual([...preset.permissions].sort());
      const one = await as(adminCookie).get(`/api/roles/${preset.id}`).expect(200);
      expect(one.body).toMatchObject({ id: preset.id, slug: preset.slug, preset: true });
    }
    const admin = roles.body.items.find((role: { slug: string }) => role.slug === 'admin');
    expect(admin.holders).toBeGreaterThanOrEqual(1);
    const holders = await as(adminCookie).get(`/api/roles/${admin.id}/holders`).expect(200);
    expect(holders.body.items).toContainEqual({ id: adminId, username: 'admin', isActive: true });
    expect(holders.body.total).toBe(admin.holders);
  });

  it('gives each preset exactly its permissions in the session payload', async () => {
    const cookies: Record<string, string> = {};
    for (const slug of ['operator', 'viewer', 'user']) {
      const holder = await userWithRole(`preset-${slug}`, slug);
      cookies[slug] = holder.cookie;
      const session = await as(holder.cookie).get('/api/dashboard-auth/session').expect(200);
      expect(session.body.user.role).toBe(slug);
      expect([...session.body.permissions].sort()).toEqual(permissionsForRole(slug).sort());
    }
    // The operator manages accounts, keys and usage of everyone, and no people or roles.
    const operator = cookies.operator;
    await as(operator).get('/api/users').expect(200);
    await as(operator).post('/api/users', { username: 'nope', password: 'password-123', role: 'user' }).expect(403);
    await as(operator).post('/api/roles', { slug: 'nope', name: 'Nope', permissions: [] }).expect(403);
    // The viewer reads and writes nothing.
    const viewer = cookies.viewer;
    await as(viewer).get('/api/accounts').expect(200);
    await as(viewer).post('/api/api-keys', { name: 'nope' }).expect(403);
    await as(viewer).post('/api/groups', { slug: 'nope', name: 'Nope' }).expect(403);
  });

  it('keeps presets immutable', async () => {
    for (const preset of PRESET_ROLES) {
      const patch = await as(adminCookie).patch(`/api/roles/${preset.id}`, { name: 'Renamed' }).expect(409);
      expect(patch.body.error.code).toBe('preset_role');
      const narrowed = await as(adminCookie).patch(`/api/roles/${preset.id}`, { permissions: [] }).expect(409);
      expect(narrowed.body.error.code).toBe('preset_role');
      const deleted = await as(adminCookie).delete(`/api/roles/${preset.id}`).expect(409);
      expect(deleted.body.error.code).toBe('preset_role');
    }
    const roles = await as(adminCookie).get('/api/roles').expect(200);
    const user = roles.body.items.find((role: { slug: string }) => role.slug === 'user');
    expect(user).toMatchObject({ name: 'User', preset: true });
    expect([...user.permissions].sort()).toEqual(permissionsForRole('user').sort());
  });

  it('applies a custom role, and every change to it, on the holder’s next request: session and API key', async () => {
    const auditorId = await createRole('auditor', ['usage:read', 'profile:write'], 'Auditor');
    const holder = await createUserSession(app, adminCookie, 'audrey');
    // While a plain user, audrey makes a key that asks for usage and accounts.
    const created = await as(holder.cookie)
      .post('/api/api-keys', { name: 'audrey reads', scopes: ['usage:read', 'accounts:read'] })
      .expect(201);
    const key: string = created.body.key;
    await withKey(key, '/api/accounts').expect(200);
    await withKey(key, '/api/usage/summary').expect(200);

    // Assigned: the next request sees only the role's permissions.
    await as(adminCookie).patch(`/api/users/${holder.id}`, { role: 'auditor' }).expect(200);
    expect(await sessionPermissions(holder.cookie)).toEqual(['usage:read', 'profile:write']);
    await as(holder.cookie).get('/api/accounts').expect(403);
    await as(holder.cookie).get('/api/usage/summary').expect(200);
    await withKey(key, '/api/accounts').expect(403);
    await withKey(key, '/api/usage/summary').expect(200);
    const holders = await as(adminCookie).get(`/api/roles/${auditorId}/holders`).expect(200);
    expect(holders.body.items).toEqual([{ id: holder.id, username: 'audrey', isActive: true }]);

    // Narrowed: usage goes, on the very next request.
    const narrowed = await as(adminCookie).patch(`/api/roles/${auditorId}`, { permissions: ['profile:write'] });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body).toMatchObject({ slug: 'auditor', preset: false, permissions: ['profile:write'], holders: 1 });
    await as(holder.cookie).get('/api/usage/summary').expect(403);
    await withKey(key, '/api/usage/summary').expect(403);

    // Widened: the key gets what its scopes and the role both allow, no more.
    await as(adminCookie)
      .patch(`/api/roles/${auditorId}`, { permissions: ['usage:read', 'accounts:read', 'profile:write'] })
      .expect(200);
    expect(await sessionPermissions(holder.cookie)).toEqual(['accounts:read', 'usage:read', 'profile:write']);
    await withKey(key, '/api/accounts').expect(200);
    await withKey(key, '/api/usage/summary').expect(200);
    await withKey(key, '/api/api-keys').expect(403);

    // Renamed: same role, same holders.
    const renamed = await as(adminCookie).patch(`/api/roles/${auditorId}`, { name: 'Auditors' }).expect(200);
    expect(renamed.body).toMatchObject({ name: 'Auditors', slug: 'auditor' });
    // A change that changes nothing is not one.
    await as(adminCookie).patch(`/api/roles/${auditorId}`, { name: 'Auditors' }).expect(200);
    expect(await auditedActions(auditorId)).toEqual(['role.create', 'role.update', 'role.update', 'role.update']);
    const [update] = (await as(adminCookie).get(`/api/audit-events?targetId=${auditorId}&action=role.update&limit=1`))
      .body.items;
    expect(update).toMatchObject({
      outcome: 'success',
      actor: { id: adminId },
      target: { type: 'role', label: 'auditor' },
    });

    // Back to a preset: the role's permissions no longer apply.
    await as(adminCookie).patch(`/api/users/${holder.id}`, { role: 'viewer' }).expect(200);
    expect([...(await sessionPermissions(holder.cookie))].sort()).toEqual(permissionsForRole('viewer').sort());
    await withKey(key, '/api/accounts').expect(200);
    await withKey(key, '/api/usage/summary').expect(200);
  });

  it('filters the users list by any role slug', async () => {
    await createRole('filterable', ['profile:write']);
    const member = await userWithRole('filtered-user', 'filterable');
    const list = await as(adminCookie).get('/api/users?role=filterable').expect(200);
    expect(list.body.items.map((u: { id: string }) => u.id)).toEqual([member.id]);
    expect(list.body.items[0].role).toBe('filterable');
    const none = await as(adminCookie).get('/api/users?role=no-such-role').expect(200);
    expect(none.body).toMatchObject({ items: [], total: 0 });
  });

  it('refuses to grant, assign or edit beyond the caller’s own permissions', async () => {
    // People managers: users and roles, nothing about accounts or usage.
    await createRole('people', ['users:read', 'users:manage', 'roles:read', 'roles:manage', 'profile:write']);
    const manager = await userWithRole('pat', 'people');
    const plain = await createUserSession(app, adminCookie, 'plain-target');
    const pat = as(manager.cookie);

    const grant = await pat.post('/api/roles', { slug: 'sneaky', name: 'Sneaky', permissions: ['owners:all'] });
    expect([grant.status, grant.body.error.code]).toEqual([403, 'forbidden']);
    expect(grant.body.error.message).toContain('owners:all');
    // Within its own permissions, a role is fine.
    const smaller = await pat
      .post('/api/roles', { slug: 'readers', name: 'Readers', permissions: ['users:read', 'profile:write'] })
      .expect(201);
    const widen = await pat.patch(`/api/roles/${smaller.body.id}`, { permissions: ['usage:read'] });
    expect(widen.status).toBe(403);

    // Assigning a role that holds more than pat does, to an existing or a new user.
    const toAdmin = await pat.patch(`/api/users/${plain.id}`, { role: 'admin' });
    expect(toAdmin.status).toBe(403);
    const toViewer = await pat.patch(`/api/users/${plain.id}`, { role: 'viewer' });
    expect(toViewer.status).toBe(403);
    const newAdmin = await pat.post('/api/users', { username: 'pats-admin', password: 'password-123', role: 'admin' });
    expect(newAdmin.status).toBe(403);
    await pat.post('/api/users', { username: 'pats-reader', password: 'password-123', role: 'readers' }).expect(201);

    // A user holding more than pat (the admin, a plain user) is not pat's to reset, demote or delete.
    expect((await pat.patch(`/api/users/${adminId}`, { password: 'taken-over-1' })).status).toBe(403);
    expect((await pat.patch(`/api/users/${adminId}`, { role: 'people' })).status).toBe(403);
    expect((await pat.delete(`/api/users/${adminId}`)).status).toBe(403);
    expect((await pat.patch(`/api/users/${plain.id}`, { isActive: false })).status).toBe(403);
    await login(app, 'admin', ADMIN_PASSWORD);

    // An API key never manages roles, whatever its owner holds.
    const key = await as(adminCookie).post('/api/api-keys', { name: 'roles?', scopes: ['roles:manage'] });
    expect(key.status).toBe(400);
    const carriable = PERMISSIONS.filter((p) => !(API_KEY_FORBIDDEN_SCOPES as readonly string[]).includes(p));
    const adminKey = (await as(adminCookie).post('/api/api-keys', { name: 'all', scopes: carriable }).expect(201)).body
      .key;
    await withKey(adminKey, '/api/usage/summary').expect(200);
    expect((await withKey(adminKey, '/api/roles')).status).toBe(403);
    expect((await withKey(adminKey, '/api/permissions')).status).toBe(403);

    // pat steps down, so the last test starts with the admin as the only manager.
    await as(adminCookie).patch(`/api/users/${manager.id}`, { role: 'user' }).expect(200);
  });

  it('refuses to delete a role in use with its holder count, and deletes it once unused', async () => {
    const id = await createRole('crew', ['profile:write']);
    const one = await userWithRole('crew-one', 'crew');
    const two = await userWithRole('crew-two', 'crew');
    const refused = await as(adminCookie).delete(`/api/roles/${id}`).expect(409);
    expect(refused.body.error.code).toBe('role_in_use');
    expect(refused.body.error.message).toContain('2 users');
    expect(refused.body.error.details).toEqual({ holders: 2 });
    await as(adminCookie).get(`/api/roles/${id}`).expect(200);

    await as(adminCookie).patch(`/api/users/${one.id}`, { role: 'user' }).expect(200);
    await as(adminCookie).delete(`/api/users/${two.id}`).expect(204);
    await as(adminCookie).delete(`/api/roles/${id}`).expect(204);
    await as(adminCookie).get(`/api/roles/${id}`).expect(404);
    // The refused delete changed nothing and wrote no change row; the accepted one wrote one.
    expect(await auditedActions(id)).toEqual(['role.create', 'role.delete']);
    const userChanges = (await auditedActions(two.id)).filter((action) => action.startsWith('user.'));
    expect(userChanges).toEqual(['user.create', 'user.update', 'user.delete']);
    await as(adminCookie).delete(`/api/roles/${id}`).expect(404);
    // The slug is free again.
    await createRole('crew', ['profile:write']);
  });

  it('never leaves a user holding a deleted role when assigning and deleting race', async () => {
    const racer = await createUserSession(app, adminCookie, 'racer');
    for (let round = 0; round < 12; round++) {
      const id = await createRole(`race-${round}`, ['profile:write']);
      const [assigned, deleted] = await Promise.all([
        as(adminCookie).patch(`/api/users/${racer.id}`, { role: `race-${round}` }),
        as(adminCookie).delete(`/api/roles/${id}`),
      ]);
      const outcome = [assigned.status, deleted.status];
      // Either the assignment came first (the delete sees its holder) or the delete did.
      expect([
        [200, 409],
        [400, 204],
      ]).toContainEqual(outcome);
      const user = await as(adminCookie).get(`/api/users/${racer.id}`).expect(200);
      expect(user.body.role).toBe(outcome[0] === 200 ? `race-${round}` : 'user');
      await as(adminCookie).patch(`/api/users/${racer.id}`, { role: 'user' }).expect(200);
    }
  });

  it('validates slugs, names and permission lists', async () => {
    const bad = async (body: object, code = 'validation_failed') => {
      const response = await as(adminCookie).post('/api/roles', body);
      expect([JSON.stringify(body), response.status, response.body.error?.code]).toEqual([
        JSON.stringify(body),
        400,
        code,
      ]);
      return response.body.error.message as string;
    };
    const base = { slug: 'valid-slug', name: 'Valid', permissions: ['profile:write'] };
    expect(await bad({ ...base, slug: 'Upper' })).toMatch(/slug/);
    expect(await bad({ ...base, slug: 'a' })).toMatch(/slug/);
    expect(await bad({ ...base, slug: 'x'.repeat(33) })).toMatch(/slug/);
    expect(await bad({ ...base, slug: 'has space' })).toMatch(/slug/);
    expect(await bad({ ...base, slug: '-dash' })).toMatch(/slug/);
    expect(await bad({ ...base, name: '' })).toMatch(/name/);
    expect(await bad({ ...base, name: 'n'.repeat(65) })).toMatch(/name/);
    expect(await bad({ ...base, permissions: ['root:all'] })).toMatch(/permissions/);
    expect(await bad({ ...base, permissions: 'usage:read' })).toMatch(/permissions/);
    expect(await bad({ ...base, permissions: ['usage:read', 'usage:read'] })).toMatch(/repeat/);
    expect(await bad({ ...base, permissions: Array(PERMISSIONS.length + 1).fill('usage:read') })).toMatch(
      /permissions/,
    );
    expect(await bad({ ...base, preset: true })).toMatch(/preset/);
    expect(await bad({ slug: 'no-perms', name: 'No perms' })).toMatch(/permissions/);

    await createRole('valid-slug', ['profile:write']);
    const taken = await as(adminCookie).post('/api/roles', base).expect(409);
    expect(taken.body.error.code).toBe('role_slug_taken');

    const user = await createUserSession(app, adminCookie, 'slug-check');
    const unknown = await as(adminCookie).patch(`/api/users/${user.id}`, { role: 'no-such-role' }).expect(400);
    expect(unknown.body.error.code).toBe('unknown_role');
    const malformed = await as(adminCookie).patch(`/api/users/${user.id}`, { role: 'Bad Role' }).expect(400);
    expect(malformed.body.error.message).toMatch(/role/);
    const created = await as(adminCookie)
      .post('/api/users', { username: 'ghost', password: 'password-123', role: 'no-such-role' })
      .expect(400);
    expect(created.body.error.code).toBe('unknown_role');
    await as(adminCookie).get('/api/roles/not-a-uuid').expect(400);
    await as(adminCookie).get('/api/roles/00000000-0000-4000-8000-000000000000').expect(404);
    await as(adminCookie).patch('/api/roles/00000000-0000-4000-8000-000000000000', { name: 'x' }).expect(404);
  });

  // Last: it moves management away from the bootstrap admin and back.
  it('never takes user and role management from its last active holder', async () => {
    const alone = await as(adminCookie).patch(`/api/users/${adminId}`, { role: 'user' }).expect(409);
    expect(alone.body.error.code).toBe('last_manager');

    // A custom role with every permission can take over management.
    const chiefId = await createRole('chief', [...PERMISSIONS], 'Chief');
    const carol = await userWithRole('carol', 'chief');
    await as(adminCookie).patch(`/api/users/${adminId}`, { role: 'operator' }).expect(200);
    await as(adminCookie).get('/api/roles').expect(200);
    await as(adminCookie).post('/api/roles', { slug: 'x-role', name: 'X', permissions: [] }).expect(403);

    // carol is now the only manager: narrowing the only role that gives it is refused, so is deactivating her.
    const narrowed = await as(carol.cookie).patch(`/api/roles/${chiefId}`, {
      permissions: PERMISSIONS.filter((p) => p !== 'roles:manage'),
    });
    expect([narrowed.status, narrowed.body.error?.code]).toEqual([409, 'last_manager']);
    const usersOnly = await as(carol.cookie).patch(`/api/roles/${chiefId}`, {
      permissions: PERMISSIONS.filter((p) => p !== 'users:manage'),
    });
    expect([usersOnly.status, usersOnly.body.error?.code]).toEqual([409, 'last_manager']);
    const roles = await as(carol.cookie).get(`/api/roles/${chiefId}`).expect(200);
    expect(roles.body.permissions).toHaveLength(PERMISSIONS.length);

    // She hands it back; with two managers, one may step down.
    await as(carol.cookie).patch(`/api/users/${adminId}`, { role: 'admin' }).expect(200);
    await as(adminCookie).patch(`/api/users/${carol.id}`, { role: 'user' }).expect(200);
    const last = await as(adminCookie).get('/api/users?role=admin&active=true').expect(200);
    expect(last.body.items.map((u: { id: string }) => u.id)).toEqual([adminId]);
    // Deleting the role that made her a manager is fine now that nobody holds it.
    await as(adminCookie).delete(`/api/roles/${chiefId}`).expect(204);
  });

  it('refuses the role routes to those without the permissions', async () => {
    const plain = await createUserSession(app, adminCookie, 'no-roles');
    await as(plain.cookie).get('/api/roles').expect(403);
    await as(plain.cookie).get('/api/permissions').expect(403);
    await as(plain.cookie).post('/api/roles', { slug: 'mine', name: 'Mine', permissions: [] }).expect(403);
    await request(app.url).get('/api/roles').expect(401);
  });
});

describe('the vocabulary at start', () => {
  it('starts again after management moved from the admin to a custom role', async () => {
    const db = await createTestDatabase();
    try {
      const first = await startTestApp({ db });
      try {
        const admin = await login(first, 'admin', ADMIN_PASSWORD);
        await request(first.url)
          .post('/api/roles')
          .set('cookie', admin)
          .send({ slug: 'chief', name: 'Chief', permissions: [...PERMISSIONS] })
          .expect(201);
        const carol = await createUserSession(first, admin, 'carol');
        await request(first.url)
          .patch(`/api/users/${carol.id}`)
          .set('cookie', admin)
          .send({ role: 'chief' })
          .expect(200);
        const adminId = (await request(first.url).get('/api/dashboard-auth/session').set('cookie', admin)).body.user.id;
        await request(first.url)
          .patch(`/api/users/${adminId}`)
          .set('cookie', carol.cookie)
          .send({ role: 'operator' })
          .expect(200);
      } finally {
        await first.close();
      }
      const second = await startTestApp({ db });
      try {
        expect(second.instance.bootstrap).toEqual({ created: false });
        const admin = await login(second, 'admin', ADMIN_PASSWORD);
        const session = await request(second.url).get('/api/dashboard-auth/session').set('cookie', admin).expect(200);
        expect(session.body.user.role).toBe('operator');
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('brings back permissions and preset grants missing from the database, and drops extra ones', async () => {
    const db = await createTestDatabase();
    try {
      await (await startTestApp({ db })).close();
      // As if the database came from a release that knew fewer permissions, and someone edited a preset.
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query(`DELETE FROM permissions WHERE id = 'audit:read'`);
        await client.query(
          `DELETE FROM role_permissions rp USING roles r
            WHERE rp.role_id = r.id AND r.slug = 'viewer' AND rp.permission = 'usage:read'`,
        );
        await client.query(
          `INSERT INTO role_permissions (role_id, permission) SELECT id, 'users:manage' FROM roles WHERE slug = 'viewer'`,
        );
        await client.query(`UPDATE roles SET name = 'Edited' WHERE slug = 'user'`);
      } finally {
        await client.end();
      }

      const app = await startTestApp({ db });
      try {
        const cookie = await login(app, 'admin', ADMIN_PASSWORD);
        const permissions = await request(app.url).get('/api/permissions').set('cookie', cookie).expect(200);
        expect(permissions.body.items.map((p: { id: string }) => p.id)).toEqual([...PERMISSIONS]);
        const roles = await request(app.url).get('/api/roles').set('cookie', cookie).expect(200);
        for (const preset of PRESET_ROLES) {
          const role = roles.body.items.find((r: { id: string }) => r.id === preset.id);
          expect([preset.slug, role.name, [...role.permissions].sort()]).toEqual([
            preset.slug,
            preset.name,
            [...preset.permissions].sort(),
          ]);
        }
        const session = await request(app.url).get('/api/dashboard-auth/session').set('cookie', cookie).expect(200);
        expect(session.body.permissions).toContain('audit:read');
      } finally {
        await app.close();
      }
    } finally {
      await db.drop();
    }
  });
});
