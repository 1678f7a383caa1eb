// The default run uses embedded Postgres (PGlite) through one connection. The same login flow
// works there, and concurrent requests with transactions do not interleave or corrupt each other.
import request from 'supertest';
import { ADMIN_PASSWORD, createUserSession, login, sessionCookie, startTestApp, type TestApp } from './support/app';
import { entry, usageWorld, write } from './support/request-logs';

describe('embedded database', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ embedded: true, env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
  });
  afterAll(() => app.close());

  it('runs on PGlite, not on an external server', () => {
    expect(app.settings.databaseUrl).toBeNull();
    expect(app.db).toBeNull();
  });

  it('runs the login, session, password change and logout flow', async () => {
    const adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
    await request(app.url)
      .post('/api/users')
      .set('cookie', adminCookie)
      .send({ username: 'embedded-user', password: 'initial-pass', role: 'user' })
      .expect(201);
    const first = await login(app, 'embedded-user', 'initial-pass');
    const session = await request(app.url).get('/api/dashboard-auth/session').set('cookie', first).expect(200);
    expect(session.body).toMatchObject({ authenticated: true, mustChangePassword: true, user: { role: 'user' } });
    const changed = await request(app.url)
      .post('/api/dashboard-auth/password/change')
      .set('cookie', first)
      .send({ currentPassword: 'initial-pass', newPassword: 'changed-pass' })
      .expect(200);
    const cookie = sessionCookie(changed);
    await request(app.url).post('/api/dashboard-auth/logout').set('cookie', cookie).expect(200);
    expect((await request(app.url).get('/api/dashboard-auth/session').set('cookie', cookie)).body).toEqual({
      authenticated: false,
    });
  });

  it('keeps concurrent transactions apart on its single connection', async () => {
    const adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
    const admins = await Promise.all(
      ['emb-admin-1', 'emb-admin-2', 'emb-admin-3'].map((name) => createUserSession(app, adminCookie, name, 'admin')),
    );
    // Four admins exist; all four try to demote someone at the same time. The last-admin rule
    // runs in a transaction with row locks: exactly three demotions may succeed.
    const all = [{ cookie: adminCookie, id: '' }, ...admins];
    const adminId = (await request(app.url).get('/api/dashboard-auth/session').set('cookie', adminCookie)).body.user.id;
    all[0].id = adminId;
    const results = await Promise.all(
      all.map((actor, i) =>
        request(app.url)
          .patch(`/api/users/${all[(i + 1) % all.length].id}`)
          .set('cookie', actor.cookie)
          .send({ role: 'user' }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 500)).toEqual([]);
    const { rows } = await countAdmins(app);
    expect(rows).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 200).length).toBe(all.length - rows);

    // Many concurrent creations, each its own insert, all land exactly once.
    const stillAdmin = all.find((_, i) => results[(i + all.length - 1) % all.length].status !== 200) ?? all[0];
    const creations = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        request(app.url)
          .post('/api/users')
          .set('cookie', stillAdmin.cookie)
          .send({ username: `bulk-${i % 6}`, password: 'bulk-password', role: 'user' }),
      ),
    );
    expect(creations.filter((r) => r.status === 201)).toHaveLength(6);
    expect(creations.filter((r) => r.status === 409)).toHaveLength(6);
    const names: { username: string }[] = await app.instance.dataSource.query(
      `SELECT username FROM dashboard_users WHERE username LIKE 'bulk-%'`,
    );
    expect(names).toHaveLength(6);
  });

  it('stores request logs and their rollups (array literals: PGlite does not take COPY)', async () => {
    const world = await usageWorld(app);
    const texts = ['tab\there', 'two\nlines', 'back\\slash', '"quoted" {braced}'];
    await write(
      app,
      texts.map((userAgent) => entry(world.alice, { userAgent, model: 'embedded-logs' })),
    );
    const { body } = await request(app.url)
      .get('/api/request-logs?model=embedded-logs')
      .set('cookie', world.alice.cookie)
      .expect(200);
    expect(body.items.map((i: { userAgent: string }) => i.userAgent).sort()).toEqual([...texts].sort());
    const summary = await request(app.url).get('/api/usage/summary').set('cookie', world.alice.cookie).expect(200);
    expect(JSON.stringify(summary.body)).toContain('"requests":4');
  });
});

async function countAdmins(app: TestApp): Promise<{ rows: number }> {
  const result: { n: string }[] = await app.instance.dataSource.query(
    `SELECT count(*) AS n FROM dashboard_users WHERE role = 'admin' AND is_active`,
  );
  return { rows: Number(result[0].n) };
}
