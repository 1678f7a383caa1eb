// API keys on the dashboard API: a key sent with no cookie acts as its owner, allowed what both
// its scopes and its owner's permissions allow, never user or role management, and no Origin
// check applies (there is no cookie to abuse).
import request from 'supertest';
import { as } from './support/api-keys';
import { addAccount, codexBody, createKey, flushLogs, postCodex, startWorld, type World } from './support/proxy-world';

describe('API keys on the management API', () => {
  let w: World;
  const range = () => {
    const to = new Date(Date.now() + 60_000).toISOString();
    const from = new Date(Date.now() - 3_600_000).toISOString();
    return `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  };
  const withKey = (key: string) => ({
    get: (path: string) => request(w.app.url).get(path).set('authorization', `Bearer ${key}`),
    post: (path: string, body: object = {}) =>
      request(w.app.url).post(path).set('authorization', `Bearer ${key}`).send(body),
    patch: (path: string, body: object = {}) => request(w.app.url).patch(path).set('x-api-key', key).send(body),
    delete: (path: string) => request(w.app.url).delete(path).set('authorization', `Bearer ${key}`),
  });

  let aliceAccount: string;

  beforeAll(async () => {
    w = await startWorld();
    aliceAccount = (await addAccount(w, w.alice.cookie, 'alice-scopes@example.com')).id;
    await addAccount(w, w.bob.cookie, 'bob-scopes@example.com');
    const alice = await createKey(w, w.alice.cookie, { name: 'alice proxy' });
    const bob = await createKey(w, w.bob.cookie, { name: 'bob proxy' });
    for (let i = 0; i < 2; i++) await postCodex(w, alice.key, codexBody(`alice ${i}`)).expect(200);
    await postCodex(w, bob.key, codexBody('bob')).expect(200);
    await flushLogs(w);
  });
  afterAll(() => w.close());

  it("reads its owner's usage over /api/usage/summary with no cookie, as the owner's session does", async () => {
    const { key } = await createKey(w, w.alice.cookie, { name: 'usage reader', scopes: ['usage:read'] });
    const path = `/api/usage/summary?${range()}`;
    const byKey = await withKey(key).get(path).expect(200);
    const bySession = await as(w.app, w.alice.cookie).get(path).expect(200);
    expect(byKey.body).toEqual(bySession.body);
    expect(byKey.body.current.requests).toBe(2);
    expect(byKey.headers['set-cookie']).toBeUndefined();
    // x-api-key works as well as Bearer.
    const viaHeader = await request(w.app.url).get(path).set('x-api-key', key).expect(200);
    expect(viaHeader.body).toEqual(byKey.body);
  });

  it('is refused (403) outside its scopes and on every user-management route', async () => {
    const { key } = await createKey(w, w.alice.cookie, { name: 'usage only', scopes: ['usage:read'] });
    const k = withKey(key);
    expect((await k.get('/api/accounts')).status).toBe(403);
    expect((await k.get('/api/api-keys')).status).toBe(403);
    expect((await k.post('/api/api-keys', { name: 'escalate' })).status).toBe(403);
    await expectUserManagementRefused(key);
  });

  it('never reaches user management, even with every scope and an admin owner', async () => {
    const every = await createKey(w, w.admin, { name: 'admin everything', scopes: everyCarriableScope() });
    await expectUserManagementRefused(every.key);
    // Moving accounts between owners is an admin's (accounts:assign-owner): an admin's key sees
    // only the admin's own accounts, and a user's key may only move its own into a group it owns.
    const move = (key: string) => withKey(key).patch(`/api/accounts/${aliceAccount}/owner`, { userId: w.bob.id });
    expect((await move(every.key)).status).toBe(404);
    const alices = await createKey(w, w.alice.cookie, { name: 'alice mover', scopes: everyCarriableScope() });
    expect((await move(alices.key)).status).toBe(403);
    expect((await as(w.app, w.alice.cookie).get(`/api/accounts/${aliceAccount}`).expect(200)).body.ownerId).toBe(
      w.alice.id,
    );
    // User and role management cannot even be asked for.
    for (const scope of ['users:manage', 'users:read', 'owners:all', 'accounts:assign-owner', 'profile:write']) {
      const refused = await as(w.app, w.admin).post('/api/api-keys', { name: 'no', scopes: [scope] });
      expect([scope, refused.status, refused.body.error?.code]).toEqual([scope, 400, 'invalid_scopes']);
    }
  });

  it('with only the proxy scope, gets 403 on /api routes (and still serves the proxy)', async () => {
    const { key } = await createKey(w, w.alice.cookie, { name: 'proxy only' });
    for (const path of ['/api/usage/summary', '/api/accounts', '/api/api-keys', '/api/request-logs', '/api/groups']) {
      expect([path, (await withKey(key).get(path)).status]).toEqual([path, 403]);
    }
    await postCodex(w, key, codexBody('still a proxy key')).expect(200);
    const usageOnly = await createKey(w, w.alice.cookie, { name: 'no proxy', scopes: ['usage:read'] });
    expect((await postCodex(w, usageOnly.key, codexBody('not a proxy key'))).status).toBe(403);
  });

  it("is the intersection with its owner's permissions: a user's key with every scope sees only its owner's data", async () => {
    const { key } = await createKey(w, w.alice.cookie, { name: 'alice everything', scopes: everyCarriableScope() });
    const k = withKey(key);
    const bobsLogs = await as(w.app, w.bob.cookie).get(`/api/request-logs?${range()}`).expect(200);
    const bobsLog = bobsLogs.body.items[0].id;
    await k.get(`/api/request-logs/${bobsLog}`).expect(404);
    const logs = await k.get(`/api/request-logs?ownerId=${w.bob.id}&${range()}`).expect(200);
    expect(new Set(logs.body.items.map((item: { ownerUserId: string }) => item.ownerUserId))).toEqual(
      new Set([w.alice.id]),
    );
    const accounts = await k.get('/api/accounts').expect(200);
    const labels = JSON.stringify(accounts.body);
    expect(labels).toContain('alice-scopes@example.com');
    expect(labels).not.toContain('bob-scopes@example.com');
    const keys = await k.get('/api/api-keys').expect(200);
    expect(JSON.stringify(keys.body)).not.toContain('bob proxy');
    await expectUserManagementRefused(key);
  });

  it("an admin's key does not act for every owner: owner-wide reads stay with sessions", async () => {
    const { key } = await createKey(w, w.admin, { name: 'admin usage', scopes: ['usage:read'] });
    const byKey = await withKey(key).get(`/api/usage/summary?${range()}`).expect(200);
    const bySession = await as(w.app, w.admin).get(`/api/usage/summary?${range()}`).expect(200);
    // The three requests of the set-up, and the refused proxy call above once its row is written.
    expect(bySession.body.current.requests).toBeGreaterThanOrEqual(3);
    expect(byKey.body.current.requests).toBe(0);
  });

  it('writes with a key need no Origin check, and a revoked key is refused on the next request', async () => {
    const { key, id } = await createKey(w, w.alice.cookie, { name: 'writer', scopes: ['api-keys:write'] });
    const created = await request(w.app.url)
      .post('/api/api-keys')
      .set('authorization', `Bearer ${key}`)
      .set('origin', 'https://evil.example')
      .send({ name: 'made by a script' })
      .expect(201);
    expect(created.body.apiKey.ownerUserId).toBe(w.alice.id);
    // The same write with a cookie from a foreign origin is refused.
    const withCookie = await request(w.app.url)
      .post('/api/api-keys')
      .set('cookie', w.alice.cookie)
      .set('origin', 'https://evil.example')
      .send({ name: 'forged' });
    expect([withCookie.status, withCookie.body.error?.code]).toEqual([403, 'origin_not_allowed']);
    await as(w.app, w.alice.cookie).delete(`/api/api-keys/${id}`).expect(204);
    const after = await withKey(key).post('/api/api-keys', { name: 'after revoke' });
    expect([after.status, after.body.error?.code]).toEqual([401, 'invalid_api_key']);
  });

  it("follows its owner: a deactivated owner's key is refused on the next request", async () => {
    const { key } = await createKey(w, w.bob.cookie, { name: 'bob usage', scopes: ['usage:read'] });
    await withKey(key).get(`/api/usage/summary?${range()}`).expect(200);
    await as(w.app, w.admin).patch(`/api/users/${w.bob.id}`, { isActive: false }).expect(200);
    expect((await withKey(key).get(`/api/usage/summary?${range()}`)).status).toBe(401);
    await as(w.app, w.admin).patch(`/api/users/${w.bob.id}`, { isActive: true }).expect(200);
  });

  async function expectUserManagementRefused(key: string) {
    const k = withKey(key);
    const someone = w.bob.id;
    const answers = [
      ['GET /api/users', await k.get('/api/users')],
      [
        'POST /api/users',
        await k.post('/api/users', { username: 'made-by-key', password: 'x'.repeat(12), role: 'admin' }),
      ],
      ['GET /api/users/:id', await k.get(`/api/users/${someone}`)],
      ['PATCH /api/users/:id', await k.patch(`/api/users/${someone}`, { role: 'admin' })],
      ['DELETE /api/users/:id', await k.delete(`/api/users/${someone}`)],
      [
        'POST /api/dashboard-auth/password/change',
        await k.post('/api/dashboard-auth/password/change', { currentPassword: 'a', newPassword: 'b'.repeat(12) }),
      ],
    ] as const;
    for (const [route, response] of answers) expect([route, response.status]).toEqual([route, 403]);
    const users = await as(w.app, w.admin).get('/api/users?limit=200').expect(200);
    expect(users.body.items.map((u: { username: string }) => u.username)).not.toContain('made-by-key');
  }
});

function everyCarriableScope(): string[] {
  return [
    'proxy',
    'accounts:read',
    'accounts:write',
    'api-keys:read',
    'api-keys:write',
    'usage:read',
    'groups:read',
    'groups:write',
    'service-accounts:read',
    'service-accounts:write',
  ];
}
