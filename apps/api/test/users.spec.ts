import request from 'supertest';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './support/app';

describe('user management', () => {
  let app: TestApp;
  let adminCookie: string;
  let adminId: string;
  let user: { id: string; cookie: string };

  beforeAll(async () => {
    app = await startTestApp();
    adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
    adminId = (await request(app.url).get('/api/dashboard-auth/session').set('cookie', adminCookie)).body.user.id;
    user = await createUserSession(app, adminCookie, 'plain-user');
  });
  afterAll(() => app.close());

  const as = (cookie: string) => ({
    get: (path: string) => request(app.url).get(path).set('cookie', cookie),
    post: (path: string, body?: object) => request(app.url).post(path).set('cookie', cookie).send(body),
    patch: (path: string, body?: object) => request(app.url).patch(path).set('cookie', cookie).send(body),
    delete: (path: string) => request(app.url).delete(path).set('cookie', cookie),
  });

  it('creates, reads, lists with filters, updates and deletes users', async () => {
    const created = await as(adminCookie)
      .post('/api/users', { username: 'Carol', password: 'carol-password', role: 'user' })
      .expect(201);
    expect(created.body).toMatchObject({ username: 'Carol', role: 'user', isActive: true, mustChangePassword: true });
    expect(created.body).not.toHaveProperty('passwordHash');
    expect(JSON.stringify(created.body)).not.toContain('carol-password');

    const fetched = await as(adminCookie).get(`/api/users/${created.body.id}`).expect(200);
    expect(fetched.body.username).toBe('Carol');

    const admins = await as(adminCookie).get('/api/users?role=admin').expect(200);
    expect(admins.body.items.every((u: { role: string }) => u.role === 'admin')).toBe(true);
    expect(admins.body.items.map((u: { username: string }) => u.username)).toContain('admin');

    const page = await as(adminCookie).get('/api/users?limit=1&offset=1').expect(200);
    expect(page.body).toMatchObject({ limit: 1, offset: 1 });
    expect(page.body.items).toHaveLength(1);
    expect(page.body.total).toBeGreaterThanOrEqual(3);

    await as(adminCookie).patch(`/api/users/${created.body.id}`, { isActive: false }).expect(200);
    const inactive = await as(adminCookie).get('/api/users?active=false').expect(200);
    expect(inactive.body.items.map((u: { id: string }) => u.id)).toEqual([created.body.id]);

    await as(adminCookie).delete(`/api/users/${created.body.id}`).expect(204);
    await as(adminCookie).get(`/api/users/${created.body.id}`).expect(404);
    await as(adminCookie).delete(`/api/users/${created.body.id}`).expect(404);
  });

  it('keeps usernames unique regardless of case', async () => {
    const response = await as(adminCookie)
      .post('/api/users', { username: 'PLAIN-USER', password: 'password-123', role: 'user' })
      .expect(409);
    expect(response.body.error.code).toBe('username_taken');
  });

  it('validates input with messages and rejects unknown fields', async () => {
    const unknown = await as(adminCookie)
      .post('/api/users', { username: 'dave', password: 'password-123', role: 'user', isAdmin: true })
      .expect(400);
    expect(unknown.body.error).toMatchObject({ code: 'validation_failed' });
    expect(unknown.body.error.message).toMatch(/isAdmin/);
    const badRole = await as(adminCookie)
      .post('/api/users', { username: 'dave', password: 'password-123', role: 'root' })
      .expect(400);
    expect(badRole.body.error.message).toMatch(/role/);
    const badName = await as(adminCookie)
      .post('/api/users', { username: 'a b', password: 'password-123', role: 'user' })
      .expect(400);
    expect(badName.body.error.message).toMatch(/username/);
    await as(adminCookie).get('/api/users/not-a-uuid').expect(400);
    await as(adminCookie).get('/api/users?limit=0').expect(400);
    const badJson = await request(app.url)
      .post('/api/users')
      .set('cookie', adminCookie)
      .set('content-type', 'application/json')
      .send('{"username":')
      .expect(400);
    expect(badJson.body.error.code).toBe('bad_request');
  });

  it('answers 403 to a user on every admin route', async () => {
    const target = `/api/users/${adminId}`;
    const calls = [
      as(user.cookie).get('/api/users'),
      as(user.cookie).post('/api/users', { username: 'x-user', password: 'password-123', role: 'admin' }),
      as(user.cookie).get(target),
      as(user.cookie).patch(target, { role: 'user' }),
      as(user.cookie).delete(target),
    ];
    for (const response of await Promise.all(calls)) {
      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('forbidden');
    }
    const stillAdmin = await as(adminCookie).get(target).expect(200);
    expect(stillAdmin.body.role).toBe('admin');
  });

  it('never removes the last active admin, and nobody deletes or deactivates themselves', async () => {
    const demote = await as(adminCookie).patch(`/api/users/${adminId}`, { role: 'user' }).expect(409);
    expect(demote.body.error.code).toBe('last_manager');
    await as(adminCookie).patch(`/api/users/${adminId}`, { isActive: false }).expect(400);
    const self = await as(adminCookie).delete(`/api/users/${adminId}`).expect(400);
    expect(self.body.error.code).toBe('cannot_delete_self');

    const second = await createUserSession(app, adminCookie, 'second-admin', 'admin');
    // With two admins, demoting both at once must still leave one.
    const results = await Promise.all([
      as(second.cookie).patch(`/api/users/${adminId}`, { role: 'user' }),
      as(adminCookie).patch(`/api/users/${second.id}`, { role: 'user' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const admins = await request(app.url)
      .get('/api/users?role=admin&active=true')
      .set('cookie', results[0].status === 200 ? second.cookie : adminCookie)
      .expect(200);
    expect(admins.body.total).toBe(1);
  });
});
