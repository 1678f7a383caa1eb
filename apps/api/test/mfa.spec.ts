// Two-factor sign-in on the real app: enrolment, sign-in with a code, a code's time step accepted
// once, a recovery code used once under concurrency, the pending sign-in's limits, disable and
// regenerate, the admin reset (ends the user's sessions, never one's own) and the policy gate.
import request from 'supertest';
import { totpCode } from '../src/modules/auth/totp';
import { ADMIN_PASSWORD, createUserSession, login, sessionCookie, startTestApp, type TestApp } from './support/app';

const LOGIN = '/api/dashboard-auth/password/login';
const VERIFY = '/api/dashboard-auth/mfa/verify';
const STEP_MS = 30_000;

function setCookies(response: request.Response): string[] {
  return ([] as string[]).concat(response.headers['set-cookie'] ?? []);
}

function pendingCookie(response: request.Response): string {
  const cookie = setCookies(response).find((value) => value.startsWith('codex_lb_mfa_pending='));
  if (!cookie) throw new Error(`no pending cookie in response ${response.status}`);
  return cookie.split(';')[0];
}

/** A 6-digit string that is none of the codes of the accepted window. */
function wrongCode(secret: string): string {
  const valid = new Set([-1, 0, 1].map((offset) => totpCode(secret, Date.now() + offset * STEP_MS)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

async function enrol(app: TestApp, cookie: string, password: string): Promise<{ secret: string; codes: string[] }> {
  const setup = await request(app.url)
    .post('/api/me/mfa/totp/setup')
    .set('cookie', cookie)
    .send({ password })
    .expect(200);
  const confirmed = await request(app.url)
    .post('/api/me/mfa/totp/confirm')
    .set('cookie', cookie)
    .send({ code: totpCode(setup.body.secret) })
    .expect(200);
  return { secret: setup.body.secret, codes: confirmed.body.recoveryCodes };
}

async function startLogin(app: TestApp, username: string, password: string): Promise<string> {
  const response = await request(app.url).post(LOGIN).send({ username, password }).expect(200);
  expect(response.body).toEqual({ authenticated: false, mfaRequired: true });
  return pendingCookie(response);
}

describe('two-factor sign-in', () => {
  let app: TestApp;
  let adminCookie: string;
  let adminId: string;

  beforeAll(async () => {
    app = await startTestApp({
      env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000', CODEX_LB_LOGIN_FAILURES_BEFORE_BACKOFF: '100' },
    });
    const response = await request(app.url).post(LOGIN).send({ username: 'admin', password: ADMIN_PASSWORD });
    adminCookie = sessionCookie(response);
    adminId = response.body.user.id;
  });
  afterAll(() => app.close());

  it('enrols: the password again, a secret, a first code; ten recovery codes shown once, nothing secret stored', async () => {
    const alice = await createUserSession(app, adminCookie, 'mfa-alice');
    await request(app.url)
      .post('/api/me/mfa/totp/setup')
      .set('cookie', alice.cookie)
      .send({ password: 'not-the-password' })
      .expect(401);
    const setup = await request(app.url)
      .post('/api/me/mfa/totp/setup')
      .set('cookie', alice.cookie)
      .send({ password: alice.password })
      .expect(200);
    const { secret, otpauthUrl } = setup.body as { secret: string; otpauthUrl: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/codex-lb:mfa-alice\?/);
    expect(otpauthUrl).toContain(`secret=${secret}`);
    expect(otpauthUrl).toContain('period=30');
    expect(otpauthUrl).toContain('digits=6');

    // Not enrolled until a code is confirmed; a wrong code or a malformed one does not enrol.
    expect((await request(app.url).get('/api/me/mfa').set('cookie', alice.cookie)).body.enrolled).toBe(false);
    const wrong = await request(app.url)
      .post('/api/me/mfa/totp/confirm')
      .set('cookie', alice.cookie)
      .send({ code: wrongCode(secret) })
      .expect(401);
    expect(wrong.body.error.code).toBe('mfa_invalid_code');
    await request(app.url)
      .post('/api/me/mfa/totp/confirm')
      .set('cookie', alice.cookie)
      .send({ code: '12ab56' })
      .expect(400);

    const confirmed = await request(app.url)
      .post('/api/me/mfa/totp/confirm')
      .set('cookie', alice.cookie)
      .send({ code: totpCode(secret) })
      .expect(200);
    const codes = confirmed.body.recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);

    const status = await request(app.url).get('/api/me/mfa').set('cookie', alice.cookie).expect(200);
    expect(status.body).toEqual({
      enrolled: true,
      enrolledAt: expect.any(String),
      required: false,
      recoveryCodesRemaining: 10,
    });
    const session = await request(app.url).get('/api/dashboard-auth/session').set('cookie', alice.cookie);
    expect(session.body.mfa).toEqual({ enrolled: true, required: false });
    const again = await request(app.url)
      .post('/api/me/mfa/totp/setup')
      .set('cookie', alice.cookie)
      .send({ password: alice.password })
      .expect(409);
    expect(again.body.error.code).toBe('mfa_already_enrolled');

    // At rest: the secret is a vault envelope and the codes are HMACs, neither in clear.
    const [row] = await app.instance.dataSource.query(`SELECT totp_secret FROM user_mfa WHERE user_id = $1`, [
      alice.id,
    ]);
    expect(row.totp_secret).toMatch(/^v1\./);
    expect(row.totp_secret).not.toContain(secret);
    const stored: { code_hmac: string }[] = await app.instance.dataSource.query(
      `SELECT code_hmac FROM mfa_recovery_codes WHERE user_id = $1`,
      [alice.id],
    );
    expect(stored).toHaveLength(10);
    const dump = JSON.stringify(stored);
    for (const code of codes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replace('-', ''));
    }
  });

  it('signs in with a code: the password alone opens no session, the code does, and its step is accepted once', async () => {
    const bob = await createUserSession(app, adminCookie, 'mfa-bob');
    const { secret } = await enrol(app, bob.cookie, bob.password);

    const first = await request(app.url).post(LOGIN).send({ username: 'mfa-bob', password: bob.password }).expect(200);
    expect(first.body).toEqual({ authenticated: false, mfaRequired: true });
    expect(setCookies(first).some((cookie) => cookie.startsWith('codex_lb_session='))).toBe(false);
    const pending = pendingCookie(first);
    expect(setCookies(first).find((cookie) => cookie.startsWith('codex_lb_mfa_pending='))).toMatch(/HttpOnly/);
    // The pending cookie is no session.
    expect((await request(app.url).get('/api/dashboard-auth/session').set('cookie', pending)).body).toEqual({
      authenticated: false,
    });
    const noCookie = await request(app.url)
      .post(VERIFY)
      .send({ code: totpCode(secret) })
      .expect(401);
    expect(noCookie.body.error.code).toBe('mfa_required');

    // The confirm used the current step; the next step's code is inside the ±1 window.
    const code = totpCode(secret, Date.now() + STEP_MS);
    const verified = await request(app.url).post(VERIFY).set('cookie', pending).send({ code }).expect(200);
    expect(verified.body).toMatchObject({
      authenticated: true,
      user: { username: 'mfa-bob' },
      mfa: { enrolled: true, required: false },
    });
    const cookie = sessionCookie(verified);
    expect((await request(app.url).get('/api/dashboard-auth/session').set('cookie', cookie)).body.authenticated).toBe(
      true,
    );
    // The pending sign-in was consumed with it.
    await request(app.url).post(VERIFY).set('cookie', pending).send({ code }).expect(401);

    // A new sign-in with the same code: the step was accepted already.
    const second = await startLogin(app, 'mfa-bob', bob.password);
    const replay = await request(app.url).post(VERIFY).set('cookie', second).send({ code }).expect(401);
    expect(replay.body.error.code).toBe('mfa_invalid_code');
    // The wrong password never reaches the second step.
    await request(app.url).post(LOGIN).send({ username: 'mfa-bob', password: 'wrong-password' }).expect(401);
  });

  it('accepts a recovery code once, even for five concurrent sign-ins that send it', async () => {
    const carol = await createUserSession(app, adminCookie, 'mfa-carol');
    const { codes } = await enrol(app, carol.cookie, carol.password);
    const pending = await Promise.all(Array.from({ length: 5 }, () => startLogin(app, 'mfa-carol', carol.password)));
    const answers = await Promise.all(
      pending.map((cookie) =>
        request(app.url).post(VERIFY).set('cookie', cookie).send({ recoveryCode: codes[0].toUpperCase() }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401]);
    for (const answer of answers.filter((a) => a.status === 401))
      expect(answer.body.error.code).toBe('mfa_invalid_code');

    // Also the same pending sign-in, five times at once: one session.
    const one = await startLogin(app, 'mfa-carol', carol.password);
    const burst = await Promise.all(
      Array.from({ length: 5 }, () =>
        request(app.url).post(VERIFY).set('cookie', one).send({ recoveryCode: codes[1] }),
      ),
    );
    expect(burst.filter((answer) => answer.status === 200)).toHaveLength(1);

    const used = await startLogin(app, 'mfa-carol', carol.password);
    await request(app.url).post(VERIFY).set('cookie', used).send({ recoveryCode: codes[0] }).expect(401);
    // Typed without the dash, in capitals: the same code.
    await request(app.url)
      .post(VERIFY)
      .set('cookie', used)
      .send({ recoveryCode: codes[2].replace('-', '').toUpperCase() })
      .expect(200);
    const status = await request(app.url).get('/api/me/mfa').set('cookie', carol.cookie).expect(200);
    expect(status.body.recoveryCodesRemaining).toBe(7);
  });

  it('drops a pending sign-in after five wrong codes and after five minutes', async () => {
    const dave = await createUserSession(app, adminCookie, 'mfa-dave');
    const { secret } = await enrol(app, dave.cookie, dave.password);
    const pending = await startLogin(app, 'mfa-dave', dave.password);
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await request(app.url)
        .post(VERIFY)
        .set('cookie', pending)
        .send({ code: wrongCode(secret) });
      expect(answer.status).toBe(401);
      codes.push(answer.body.error.code);
    }
    expect(codes).toEqual([
      'mfa_invalid_code',
      'mfa_invalid_code',
      'mfa_invalid_code',
      'mfa_invalid_code',
      'mfa_required',
    ]);
    const late = await request(app.url)
      .post(VERIFY)
      .set('cookie', pending)
      .send({ code: totpCode(secret, Date.now() + STEP_MS) })
      .expect(401);
    expect(late.body.error.code).toBe('mfa_required');

    const expiring = await startLogin(app, 'mfa-dave', dave.password);
    await app.instance.dataSource.query(
      `UPDATE mfa_pending_logins SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [dave.id],
    );
    const expired = await request(app.url)
      .post(VERIFY)
      .set('cookie', expiring)
      .send({ code: totpCode(secret, Date.now() + STEP_MS) })
      .expect(401);
    expect(expired.body.error.code).toBe('mfa_required');
    // Signing out drops a sign-in waiting for its code.
    const abandoned = await startLogin(app, 'mfa-dave', dave.password);
    await request(app.url).post('/api/dashboard-auth/logout').set('cookie', abandoned).send({}).expect(200);
    const afterLogout = await request(app.url)
      .post(VERIFY)
      .set('cookie', abandoned)
      .send({ code: totpCode(secret, Date.now() + STEP_MS) })
      .expect(401);
    expect(afterLogout.body.error.code).toBe('mfa_required');
    // The pending state lives five minutes (from the database clock).
    await startLogin(app, 'mfa-dave', dave.password);
    const [{ seconds }] = await app.instance.dataSource.query(
      `SELECT extract(epoch FROM max(expires_at) - now())::int AS seconds FROM mfa_pending_logins WHERE user_id = $1`,
      [dave.id],
    );
    expect(seconds).toBeGreaterThan(280);
    expect(seconds).toBeLessThanOrEqual(300);
  });

  it('regenerates recovery codes and disables with a code, each needing a valid one', async () => {
    const erin = await createUserSession(app, adminCookie, 'mfa-erin');
    const { secret, codes } = await enrol(app, erin.cookie, erin.password);
    await request(app.url)
      .post('/api/me/mfa/recovery-codes')
      .set('cookie', erin.cookie)
      .send({ code: wrongCode(secret) })
      .expect(401);
    await request(app.url).post('/api/me/mfa/recovery-codes').set('cookie', erin.cookie).send({}).expect(400);
    const fresh = await request(app.url)
      .post('/api/me/mfa/recovery-codes')
      .set('cookie', erin.cookie)
      .send({ recoveryCode: codes[0] })
      .expect(200);
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    // The old set is gone.
    await request(app.url)
      .delete('/api/me/mfa/totp')
      .set('cookie', erin.cookie)
      .send({ recoveryCode: codes[1] })
      .expect(401);
    await request(app.url)
      .delete('/api/me/mfa/totp')
      .set('cookie', erin.cookie)
      .send({ recoveryCode: fresh.body.recoveryCodes[0] })
      .expect(204);
    expect((await request(app.url).get('/api/me/mfa').set('cookie', erin.cookie)).body).toMatchObject({
      enrolled: false,
      recoveryCodesRemaining: 0,
    });
    // Signing in is by password alone again.
    const session = await request(app.url).post(LOGIN).send({ username: 'mfa-erin', password: erin.password });
    expect(session.body.authenticated).toBe(true);
    const disabledAgain = await request(app.url)
      .delete('/api/me/mfa/totp')
      .set('cookie', erin.cookie)
      .send({ code: totpCode(secret) })
      .expect(409);
    expect(disabledAgain.body.error.code).toBe('mfa_not_enrolled');
  });

  it('lets an admin reset another user (ending their sessions, audited), never themselves', async () => {
    const frank = await createUserSession(app, adminCookie, 'mfa-frank');
    await enrol(app, frank.cookie, frank.password);
    const other = await createUserSession(app, adminCookie, 'mfa-grace');

    const own = await request(app.url).delete(`/api/users/${adminId}/mfa`).set('cookie', adminCookie).expect(403);
    expect(own.body.error.code).toBe('cannot_reset_own_mfa');
    expect(own.body.error.message).toMatch(/your own/);
    await request(app.url).delete(`/api/users/${frank.id}/mfa`).set('cookie', other.cookie).expect(403);
    await request(app.url)
      .delete('/api/users/00000000-0000-4000-8000-000000000000/mfa')
      .set('cookie', adminCookie)
      .expect(404);

    expect(
      (await request(app.url).get('/api/dashboard-auth/session').set('cookie', frank.cookie)).body.authenticated,
    ).toBe(true);
    await request(app.url).delete(`/api/users/${frank.id}/mfa`).set('cookie', adminCookie).expect(200);
    expect((await request(app.url).get('/api/dashboard-auth/session').set('cookie', frank.cookie)).body).toEqual({
      authenticated: false,
    });
    const signIn = await request(app.url).post(LOGIN).send({ username: 'mfa-frank', password: frank.password });
    expect(signIn.body).toMatchObject({ authenticated: true, mfa: { enrolled: false } });

    const rows: { outcome: string; target_id: string }[] = await app.instance.dataSource.query(
      `SELECT outcome, target_id FROM audit_events WHERE action = 'user.mfa_reset'`,
    );
    expect(rows).toEqual([{ outcome: 'success', target_id: frank.id }]);
  });
});

// passport keeps strategies in a process-wide registry, so each app that logs people in gets its
// own describe block (apps in one file run one after another).
describe('two-factor policy: CODEX_LB_MFA_REQUIRED=admins', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      env: { CODEX_LB_MFA_REQUIRED: 'admins', CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' },
    });
  });
  afterAll(() => app.close());

  it('keeps an unenrolled admin to enrolment until a code is confirmed; users are not asked', async () => {
    const adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
    const session = await request(app.url).get('/api/dashboard-auth/session').set('cookie', adminCookie).expect(200);
    expect(session.body.mfa).toEqual({ enrolled: false, required: true });
    const refused = await request(app.url).get('/api/users').set('cookie', adminCookie).expect(403);
    expect(refused.body.error.code).toBe('mfa_enrolment_required');
    await request(app.url).get('/api/accounts').set('cookie', adminCookie).expect(403);
    await request(app.url).get('/api/me/mfa').set('cookie', adminCookie).expect(200);

    const { secret } = await enrol(app, adminCookie, ADMIN_PASSWORD);
    // The same session goes on, now enrolled.
    await request(app.url).get('/api/users').set('cookie', adminCookie).expect(200);

    // A plain user holds neither users:manage nor roles:manage: not asked. (Created from a fresh
    // admin session: the enrolled admin now signs in with a code.)
    const pending = await startLogin(app, 'admin', ADMIN_PASSWORD);
    const verified = await request(app.url)
      .post(VERIFY)
      .set('cookie', pending)
      .send({ code: totpCode(secret, Date.now() + STEP_MS) })
      .expect(200);
    const user = await createUserSession(app, sessionCookie(verified), 'policy-user');
    const userSession = await request(app.url).get('/api/dashboard-auth/session').set('cookie', user.cookie);
    expect(userSession.body.mfa).toEqual({ enrolled: false, required: false });
    await request(app.url).get('/api/accounts').set('cookie', user.cookie).expect(200);
  });
});

describe('two-factor policy: CODEX_LB_MFA_REQUIRED=everyone', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      env: { CODEX_LB_MFA_REQUIRED: 'everyone', CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' },
    });
  });
  afterAll(() => app.close());

  it('asks every user to enrol; password change, session and sign-out stay reachable', async () => {
    const adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
    // User management waits for enrolment too.
    const blocked = await request(app.url)
      .post('/api/users')
      .set('cookie', adminCookie)
      .send({ username: 'everyone-user', password: 'everyone-pw-1', role: 'user' })
      .expect(403);
    expect(blocked.body.error.code).toBe('mfa_enrolment_required');
    const { secret } = await enrol(app, adminCookie, ADMIN_PASSWORD);
    expect(secret).toBeTruthy();
    // createUserSession signs the new user in and changes their password: both allowed before enrolment.
    const user = await createUserSession(app, adminCookie, 'everyone-user');
    const session = await request(app.url).get('/api/dashboard-auth/session').set('cookie', user.cookie).expect(200);
    expect(session.body.mfa).toEqual({ enrolled: false, required: true });
    const refused = await request(app.url).get('/api/accounts').set('cookie', user.cookie).expect(403);
    expect(refused.body.error.code).toBe('mfa_enrolment_required');
    await enrol(app, user.cookie, user.password);
    await request(app.url).get('/api/accounts').set('cookie', user.cookie).expect(200);
    await request(app.url).post('/api/dashboard-auth/logout').set('cookie', user.cookie).send({}).expect(200);
  });
});
