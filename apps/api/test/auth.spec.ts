import request from 'supertest';
import {
  ADMIN_PASSWORD,
  DASHBOARD_ORIGIN,
  createUserSession,
  login,
  sessionCookie,
  startTestApp,
  type TestApp,
} from './support/app';

describe('dashboard auth and sessions', () => {
  let app: TestApp;
  let adminCookie: string;

  beforeAll(async () => {
    app = await startTestApp({
      env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000', CODEX_LB_LOGIN_FAILURES_BEFORE_BACKOFF: '3' },
    });
    adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
  });
  afterAll(() => app.close());

  it('logs in and returns the principal with a hardened session cookie', async () => {
    const response = await request(app.url)
      .post('/api/dashboard-auth/password/login')
      .send({ username: 'ADMIN', password: ADMIN_PASSWORD })
      .expect(200);
    expect(response.body).toEqual({
      authenticated: true,
      user: { id: expect.any(String), username: 'admin', role: 'admin' },
      permissions: expect.arrayContaining(['users:manage', 'accounts:read']),
      mustChangePassword: false,
      hasPassword: true,
      mfa: { enrolled: false, required: false },
    });
    const raw = ([] as string[]).concat(response.headers['set-cookie'])[0];
    expect(raw).toMatch(/HttpOnly/i);
    expect(raw).toMatch(/SameSite=Lax/i);
    expect(raw).not.toMatch(/Secure/i);
    const token = sessionCookie(response).split('=')[1];
    expect(token.length).toBeGreaterThanOrEqual(43);
    // Only a digest of the token is stored.
    const rows = await app.instance.dataSource.query('SELECT token_hash FROM dashboard_sessions');
    expect(rows.map((row: { token_hash: string }) => row.token_hash)).not.toContain(token);
  });

  it('answers unknown user, wrong password and inactive user identically', async () => {
    const inactive = await createUserSession(app, adminCookie, 'inactive-user');
    await request(app.url)
      .patch(`/api/users/${inactive.id}`)
      .set('cookie', adminCookie)
      .send({ isActive: false })
      .expect(200);

    const attempts = [
      { username: 'nobody-here', password: 'whatever-password' },
      { username: 'admin', password: 'wrong-password' },
      { username: 'inactive-user', password: inactive.password },
    ];
    const bodies = [];
    for (const attempt of attempts) {
      const response = await request(app.url).post('/api/dashboard-auth/password/login').send(attempt).expect(401);
      bodies.push(response.body);
    }
    expect(bodies[0]).toEqual({ error: { code: 'invalid_credentials', message: 'Invalid username or password.' } });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it('takes as long for an unknown user as for a wrong password', async () => {
    const time = async (username: string) => {
      const started = process.hrtime.bigint();
      await request(app.url).post('/api/dashboard-auth/password/login').send({ username, password: 'bad-password-x' });
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const names = ['timing-a', 'timing-b', 'timing-c', 'timing-d'];
    for (const name of names) await createUserSession(app, adminCookie, name);
    // Interleaved, each user tried once (repeated failures for one name would meet the login
    // backoff), and compared by their fastest: a test run beside others is slowed at random, but
    // never sped up.
    const unknown: number[] = [];
    const known: number[] = [];
    for (let i = 0; i < names.length; i++) {
      unknown.push(await time(`ghost-${i}`));
      known.push(await time(names[i]));
    }
    const ratio = Math.min(...unknown) / Math.min(...known);
    // bcrypt dominates both paths; an early return for unknown users would be ~100x faster.
    expect(ratio).toBeGreaterThan(0.33);
    expect(ratio).toBeLessThan(3);
  });

  it('rejects a malformed login body with a 400 that names the field', async () => {
    const response = await request(app.url)
      .post('/api/dashboard-auth/password/login')
      .send({ username: 'admin' })
      .expect(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(response.body.error.message).toMatch(/password/);
  });

  it('reports the session payload, and logout ends the session', async () => {
    const cookie = await login(app, 'admin', ADMIN_PASSWORD);
    const session = await request(app.url).get('/api/dashboard-auth/session').set('cookie', cookie).expect(200);
    expect(session.body).toMatchObject({ authenticated: true, user: { username: 'admin', role: 'admin' } });

    const anonymous = await request(app.url).get('/api/dashboard-auth/session').expect(200);
    expect(anonymous.body).toEqual({ authenticated: false });

    await request(app.url).post('/api/dashboard-auth/logout').set('cookie', cookie).expect(200);
    const after = await request(app.url).get('/api/dashboard-auth/session').set('cookie', cookie).expect(200);
    expect(after.body).toEqual({ authenticated: false });
    await request(app.url).get('/api/users').set('cookie', cookie).expect(401);
  });

  it('forces a password change before anything else, and the change ends other sessions', async () => {
    await request(app.url)
      .post('/api/users')
      .set('cookie', adminCookie)
      .send({ username: 'newcomer', password: 'first-password', role: 'user' })
      .expect(201);
    const laptop = await login(app, 'newcomer', 'first-password');
    const phone = await login(app, 'newcomer', 'first-password');

    const session = await request(app.url).get('/api/dashboard-auth/session').set('cookie', laptop).expect(200);
    expect(session.body.mustChangePassword).toBe(true);
    const blocked = await request(app.url).get('/api/accounts').set('cookie', laptop);
    expect([403, 404]).toContain(blocked.status);

    const tooShort = await request(app.url)
      .post('/api/dashboard-auth/password/change')
      .set('cookie', laptop)
      .send({ currentPassword: 'first-password', newPassword: 'short' })
      .expect(400);
    expect(tooShort.body.error.message).toMatch(/at least 8/);

    await request(app.url)
      .post('/api/dashboard-auth/password/change')
      .set('cookie', laptop)
      .send({ currentPassword: 'not-it-at-all', newPassword: 'second-password' })
      .expect(401);

    const changed = await request(app.url)
      .post('/api/dashboard-auth/password/change')
      .set('cookie', laptop)
      .send({ currentPassword: 'first-password', newPassword: 'second-password' })
      .expect(200);
    expect(changed.body.mustChangePassword).toBe(false);
    const fresh = sessionCookie(changed);

    expect((await request(app.url).get('/api/dashboard-auth/session').set('cookie', phone)).body).toEqual({
      authenticated: false,
    });
    expect((await request(app.url).get('/api/dashboard-auth/session').set('cookie', laptop)).body).toEqual({
      authenticated: false,
    });
    expect((await request(app.url).get('/api/dashboard-auth/session').set('cookie', fresh)).body.authenticated).toBe(
      true,
    );
    await login(app, 'newcomer', 'second-password');
  });

  it('applies a role change to the very next request of an existing session', async () => {
    const user = await createUserSession(app, adminCookie, 'promoted');
    await request(app.url).get('/api/users').set('cookie', user.cookie).expect(403);
    await request(app.url)
      .patch(`/api/users/${user.id}`)
      .set('cookie', adminCookie)
      .send({ role: 'admin' })
      .expect(200);
    await request(app.url).get('/api/users').set('cookie', user.cookie).expect(200);
    const session = await request(app.url).get('/api/dashboard-auth/session').set('cookie', user.cookie);
    expect(session.body.user.role).toBe('admin');
    await request(app.url).patch(`/api/users/${user.id}`).set('cookie', adminCookie).send({ role: 'user' }).expect(200);
    await request(app.url).get('/api/users').set('cookie', user.cookie).expect(403);
  });

  it('ends all sessions of a user who is deactivated or whose password is reset', async () => {
    const deactivated = await createUserSession(app, adminCookie, 'to-deactivate');
    await request(app.url).get('/api/dashboard-auth/session').set('cookie', deactivated.cookie).expect(200);
    await request(app.url)
      .patch(`/api/users/${deactivated.id}`)
      .set('cookie', adminCookie)
      .send({ isActive: false })
      .expect(200);
    expect((await request(app.url).get('/api/dashboard-auth/session').set('cookie', deactivated.cookie)).body).toEqual({
      authenticated: false,
    });
    // Reactivation does not revive the old session.
    await request(app.url)
      .patch(`/api/users/${deactivated.id}`)
      .set('cookie', adminCookie)
      .send({ isActive: true })
      .expect(200);
    expect(
      (await request(app.url).get('/api/dashboard-auth/session').set('cookie', deactivated.cookie)).body.authenticated,
    ).toBe(false);

    const reset = await createUserSession(app, adminCookie, 'to-reset');
    await request(app.url)
      .patch(`/api/users/${reset.id}`)
      .set('cookie', adminCookie)
      .send({ password: 'admin-chosen-pw' })
      .expect(200);
    expect(
      (await request(app.url).get('/api/dashboard-auth/session').set('cookie', reset.cookie)).body.authenticated,
    ).toBe(false);
    const relogin = await request(app.url)
      .post('/api/dashboard-auth/password/login')
      .send({ username: 'to-reset', password: 'admin-chosen-pw' })
      .expect(200);
    expect(relogin.body.mustChangePassword).toBe(true);
  });

  it('expires a session after the idle timeout and at the absolute cap', async () => {
    const cookie = await login(app, 'admin', ADMIN_PASSWORD);
    const token = cookie.split('=')[1];
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(token).digest('hex');
    await app.instance.dataSource.query(
      `UPDATE dashboard_sessions SET last_seen_at = now() - interval '13 hours' WHERE token_hash = $1`,
      [digest],
    );
    await request(app.url).get('/api/users').set('cookie', cookie).expect(401);

    const other = await login(app, 'admin', ADMIN_PASSWORD);
    const otherDigest = createHash('sha256').update(other.split('=')[1]).digest('hex');
    await request(app.url).get('/api/users').set('cookie', other).expect(200);
    await app.instance.dataSource.query(`UPDATE dashboard_sessions SET expires_at = now() WHERE token_hash = $1`, [
      otherDigest,
    ]);
    const expired = await request(app.url).get('/api/users').set('cookie', other).expect(401);
    expect(expired.body.error.code).toBe('session_expired');
  });

  it('refuses cookie-authenticated changes from a foreign Origin', async () => {
    const foreign = await request(app.url)
      .post('/api/users')
      .set('cookie', adminCookie)
      .set('origin', 'https://evil.example')
      .send({ username: 'csrf-victim', password: 'password-123', role: 'admin' })
      .expect(403);
    expect(foreign.body.error.code).toBe('origin_not_allowed');
    await request(app.url)
      .post('/api/dashboard-auth/password/login')
      .set('origin', 'https://evil.example')
      .send({ username: 'admin', password: ADMIN_PASSWORD })
      .expect(403);
    // Reads are not refused, and the dashboard's own origin passes.
    await request(app.url)
      .get('/api/users')
      .set('cookie', adminCookie)
      .set('origin', 'https://evil.example')
      .expect(200);
    await request(app.url)
      .post('/api/users')
      .set('cookie', adminCookie)
      .set('origin', DASHBOARD_ORIGIN)
      .send({ username: 'same-origin', password: 'password-123', role: 'user' })
      .expect(201);
  });

  it('backs off a client per username after repeated failures, the same for unknown names', async () => {
    const fail = (username: string) =>
      request(app.url).post('/api/dashboard-auth/password/login').send({ username, password: 'definitely-wrong' });
    const existing = await createUserSession(app, adminCookie, 'backoff-target');
    for (const name of ['backoff-target', 'backoff-ghost']) {
      for (let i = 0; i < 3; i++) expect((await fail(name)).status).toBe(401);
      const locked = await fail(name);
      expect(locked.status).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      expect(locked.body.error.code).toBe('rate_limited');
    }
    const [a, b] = [await fail('backoff-target'), await fail('backoff-ghost')];
    expect(a.body).toEqual(b.body);
    // The failing client waits out the backoff even with the right password (other clients do
    // not: login-abuse.spec.ts).
    await request(app.url)
      .post('/api/dashboard-auth/password/login')
      .send({ username: 'backoff-target', password: existing.password })
      .expect(429);
  });
});

describe('login throttling per client IP', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(() => app.close());

  it('answers 429 with Retry-After once the per-minute limit is used', async () => {
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await request(app.url)
        .post('/api/dashboard-auth/password/login')
        .send({ username: `someone-${i}`, password: 'wrong-password' });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.body.error.code).toBe('rate_limited');
  });
});

// passport keeps strategies in a process-wide registry, so each app that logs people in gets its
// own describe block (apps in one file run one after another).
describe('behind an HTTPS reverse proxy', () => {
  let secure: TestApp;
  beforeAll(async () => {
    // TLS ends at the proxy: the API itself is reached over plain http.
    secure = await startTestApp({
      env: { CODEX_LB_DASHBOARD_ORIGINS: 'https://codex.example.com,http://localhost:3000' },
    });
  });
  afterAll(() => secure.close());

  it('names the cookie __Host- and marks it Secure when the dashboard URL is https, and accepts it back', async () => {
    const response = await request(secure.url)
      .post('/api/dashboard-auth/password/login')
      .send({ username: 'admin', password: ADMIN_PASSWORD })
      .expect(200);
    const cookie = ([] as string[]).concat(response.headers['set-cookie'])[0];
    expect(cookie).toMatch(/^__Host-codex_lb_session=/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).not.toMatch(/Domain=/i);
    const session = await request(secure.url).get('/api/dashboard-auth/session').set('cookie', cookie.split(';')[0]);
    expect(session.body.authenticated).toBe(true);
    // The plain name is not a session there.
    const plain = cookie.split(';')[0].replace('__Host-', '');
    expect((await request(secure.url).get('/api/dashboard-auth/session').set('cookie', plain)).body).toEqual({
      authenticated: false,
    });
  });
});
