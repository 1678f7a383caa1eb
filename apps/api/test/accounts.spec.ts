import request from 'supertest';
import { FakeUpstream, type FakeSeat } from '../src/fake-upstream';
import { AccountTokensService } from '../src/modules/accounts/account-tokens.service';
import { OAuthService } from '../src/modules/accounts/oauth/oauth.service';
import { QuotaPollerService } from '../src/modules/accounts/quota-poller.service';
import { createTestDatabase } from './support/database';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './support/app';

describe('accounts', () => {
  let fake: FakeUpstream;
  let app: TestApp;
  let admin: string;
  let alice: { id: string; cookie: string };
  let bob: { id: string; cookie: string };

  const upstreamEnv = () => ({
    CODEX_LB_AUTH_BASE_URL: fake.authBaseUrl,
    CODEX_LB_UPSTREAM_BASE_URL: fake.backendBaseUrl,
    CODEX_LB_OAUTH_CALLBACK_PORT: '0',
    CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
  });

  beforeAll(async () => {
    fake = await FakeUpstream.start({ deviceIntervalSeconds: 1 });
    app = await startTestApp({ env: upstreamEnv() });
    admin = await login(app, 'admin', ADMIN_PASSWORD);
    alice = await createUserSession(app, admin, 'alice');
    bob = await createUserSession(app, admin, 'bob');
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  const importSeat = (cookie: string, seat: FakeSeat) =>
    request(app.url).post('/api/accounts/import').set('cookie', cookie).send(fake.authJsonFor(seat));

  it('adds an account through the browser flow and the 1455 callback listener', async () => {
    const seat = fake.addAccount({ email: 'browser@example.com', planType: 'plus' });
    fake.nextLoginSeat(seat);
    const start = await request(app.url)
      .post('/api/oauth/start')
      .set('cookie', alice.cookie)
      .send({ flow: 'browser' })
      .expect(201);
    const authorize = new URL(start.body.authorizationUrl);
    expect(authorize.origin).toBe(new URL(fake.authBaseUrl).origin);
    expect(authorize.searchParams.get('redirect_uri')).toBe('http://localhost:1455/auth/callback');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');

    const pending = await request(app.url)
      .get(`/api/oauth/status/${start.body.flowId}`)
      .set('cookie', alice.cookie)
      .expect(200);
    expect(pending.body.status).toBe('pending');

    const redirect = await fetch(authorize, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const callback = new URL(redirect.headers.get('location')!);
    expect(callback.pathname).toBe('/auth/callback');
    // The browser would open localhost:1455; tests run the listener on an ephemeral port.
    const oauth = app.instance.app.get(OAuthService);
    callback.port = String(oauth.callback.listeningPort);
    const page = await fetch(callback);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('browser@example.com');

    const done = await request(app.url)
      .get(`/api/oauth/status/${start.body.flowId}`)
      .set('cookie', alice.cookie)
      .expect(200);
    expect(done.body).toMatchObject({
      status: 'success',
      account: { email: 'browser@example.com', planType: 'plus', ownerUsername: 'alice' },
    });
    // Another user cannot read the flow.
    await request(app.url).get(`/api/oauth/status/${start.body.flowId}`).set('cookie', bob.cookie).expect(404);
  });

  it('completes a browser flow from a pasted callback URL', async () => {
    const seat = fake.addAccount({ email: 'manual@example.com' });
    fake.nextLoginSeat(seat);
    const start = await request(app.url)
      .post('/api/oauth/start')
      .set('cookie', bob.cookie)
      .send({ flow: 'browser' })
      .expect(201);
    const redirect = await fetch(start.body.authorizationUrl, { redirect: 'manual' });
    const callbackUrl = redirect.headers.get('location')!;

    const wrongState = callbackUrl.replace(/state=[^&]+/, 'state=forged');
    const refused = await request(app.url)
      .post('/api/oauth/manual-callback')
      .set('cookie', bob.cookie)
      .send({ flowId: start.body.flowId, callbackUrl: wrongState })
      .expect(400);
    expect(refused.body.error.message).toMatch(/state/);

    const done = await request(app.url)
      .post('/api/oauth/manual-callback')
      .set('cookie', bob.cookie)
      .send({ flowId: start.body.flowId, callbackUrl })
      .expect(200);
    expect(done.body).toMatchObject({
      status: 'success',
      account: { email: 'manual@example.com', ownerUsername: 'bob' },
    });
  });

  it('adds an account through the device-code flow', async () => {
    const seat = fake.addAccount({ email: 'device@example.com' });
    fake.nextLoginSeat(seat);
    const start = await request(app.url)
      .post('/api/oauth/start')
      .set('cookie', alice.cookie)
      .send({ flow: 'device' })
      .expect(201);
    expect(start.body.userCode).toMatch(/\S+/);
    expect(start.body.verificationUrl).toBe(`${fake.authBaseUrl}/codex/device`);
    let status = 'pending';
    let body: any;
    for (let i = 0; i < 40 && status === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      body = (await request(app.url).get(`/api/oauth/status/${start.body.flowId}`).set('cookie', alice.cookie)).body;
      status = body.status;
    }
    expect(body).toMatchObject({ status: 'success', account: { email: 'device@example.com' } });
  });

  it('imports auth.json as multipart and as a JSON body, storing no plaintext token', async () => {
    const first = fake.addAccount({ email: 'multipart@example.com' });
    const upload = await request(app.url)
      .post('/api/accounts/import')
      .set('cookie', alice.cookie)
      .attach('auth_json', Buffer.from(JSON.stringify(fake.authJsonFor(first))), 'auth.json')
      .expect(201);
    expect(upload.body).toMatchObject({ email: 'multipart@example.com', ownerUsername: 'alice', status: 'active' });
    for (const field of ['accessToken', 'refreshToken', 'idToken', 'accessTokenEnc'])
      expect(upload.body).not.toHaveProperty(field);

    const second = fake.addAccount({ email: 'json@example.com' });
    const json = await importSeat(alice.cookie, second).expect(201);
    expect(json.body.email).toBe('json@example.com');

    const rows = await app.instance.dataSource.query(`SELECT * FROM accounts WHERE id = $1`, [json.body.id]);
    const stored = JSON.stringify(rows[0]);
    expect(stored).not.toContain(second.accessToken);
    expect(stored).not.toContain(second.refreshToken);
    expect(stored).not.toContain(second.idToken);
    expect(rows[0].access_token_enc).toMatch(/^v1\./);
    const list = await request(app.url).get('/api/accounts').set('cookie', alice.cookie).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(second.accessToken);
  });

  it('explains why an import is refused', async () => {
    const send = (body: string | object, multipart = false) => {
      const req = request(app.url).post('/api/accounts/import').set('cookie', alice.cookie);
      return multipart ? req.attach('auth_json', Buffer.from(body as string), 'auth.json') : req.send(body);
    };
    const badJson = await send('{"tokens": ', true).expect(400);
    expect(badJson.body.error).toMatchObject({
      code: 'invalid_auth_json',
      message: expect.stringMatching(/not valid JSON/),
    });
    const noTokens = await send({ OPENAI_API_KEY: 'sk-x' }).expect(400);
    expect(noTokens.body.error.message).toMatch(/no "tokens"/);
    const missing = await send({ tokens: { id_token: 'a.b.c', access_token: 'x' } }).expect(400);
    expect(missing.body.error.message).toMatch(/refresh_token/);
    const undecodable = await send({ tokens: { id_token: 'not-a-jwt', access_token: 'x', refresh_token: 'y' } }).expect(
      400,
    );
    expect(undecodable.body.error.message).toMatch(/id token.*JWT/);
    const noField = await request(app.url)
      .post('/api/accounts/import')
      .set('cookie', alice.cookie)
      .attach('other', Buffer.from('{}'), 'x.json')
      .expect(400);
    expect(noField.body.error.message).toMatch(/auth_json/);
  });

  it('registers a seat once in the whole system and says so without naming the owner', async () => {
    const seat = fake.addAccount({ email: 'shared-seat@example.com' });
    await importSeat(alice.cookie, seat).expect(201);
    const conflict = await importSeat(bob.cookie, seat).expect(409);
    expect(conflict.body.error.code).toBe('account_already_registered');
    expect(conflict.body.error.message).not.toMatch(/alice/i);
    // The same owner importing again re-authenticates the existing account.
    const again = await importSeat(alice.cookie, seat).expect(200);
    expect(again.body.email).toBe('shared-seat@example.com');
  });

  it('scopes every account route to its owner, and lets an admin see, filter and reassign', async () => {
    const seat = fake.addAccount({ email: 'alice-only@example.com' });
    const account = (await importSeat(alice.cookie, seat).expect(201)).body;
    const path = `/api/accounts/${account.id}`;

    const bobCalls = await Promise.all([
      request(app.url).get(path).set('cookie', bob.cookie),
      request(app.url).patch(path).set('cookie', bob.cookie).send({ alias: 'mine now' }),
      request(app.url).post(`${path}/pause`).set('cookie', bob.cookie),
      request(app.url).post(`${path}/resume`).set('cookie', bob.cookie),
      request(app.url).post(`${path}/refresh-usage`).set('cookie', bob.cookie),
      request(app.url).delete(path).set('cookie', bob.cookie),
    ]);
    for (const response of bobCalls) {
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
    const bobList = await request(app.url).get('/api/accounts').set('cookie', bob.cookie).expect(200);
    expect(bobList.body.every((a: any) => a.ownerUsername === 'bob')).toBe(true);
    expect(bobList.body.map((a: any) => a.id)).not.toContain(account.id);
    // A user cannot widen their view with ownerId.
    const sneaky = await request(app.url)
      .get(`/api/accounts?ownerId=${alice.id}`)
      .set('cookie', bob.cookie)
      .expect(200);
    expect(sneaky.body.map((a: any) => a.id)).not.toContain(account.id);

    await request(app.url).patch(path).set('cookie', alice.cookie).send({ alias: 'Work' }).expect(200);
    expect((await request(app.url).post(`${path}/pause`).set('cookie', alice.cookie).expect(200)).body.status).toBe(
      'paused',
    );
    expect((await request(app.url).post(`${path}/resume`).set('cookie', alice.cookie).expect(200)).body.status).toBe(
      'active',
    );

    const all = await request(app.url).get('/api/accounts').set('cookie', admin).expect(200);
    expect(new Set(all.body.map((a: any) => a.ownerUsername))).toEqual(new Set(['alice', 'bob']));
    const filtered = await request(app.url).get(`/api/accounts?ownerId=${bob.id}`).set('cookie', admin).expect(200);
    expect(filtered.body.length).toBeGreaterThan(0);
    expect(filtered.body.every((a: any) => a.ownerUsername === 'bob')).toBe(true);

    await request(app.url).patch(`${path}/owner`).set('cookie', alice.cookie).send({ ownerId: bob.id }).expect(403);
    const moved = await request(app.url)
      .patch(`${path}/owner`)
      .set('cookie', admin)
      .send({ ownerId: bob.id })
      .expect(200);
    expect(moved.body.ownerUsername).toBe('bob');
    await request(app.url).get(path).set('cookie', alice.cookie).expect(404);
    await request(app.url).get(path).set('cookie', bob.cookie).expect(200);
    await request(app.url).delete(path).set('cookie', bob.cookie).expect(204);
    await request(app.url).get(path).set('cookie', bob.cookie).expect(404);
  });

  it('polls quota windows into the account', async () => {
    const seat = fake.addAccount({ email: 'quota@example.com' });
    const account = (await importSeat(alice.cookie, seat).expect(201)).body;
    fake.setUsage(seat, { primary: 42, secondary: 7 });
    const refreshed = await request(app.url)
      .post(`/api/accounts/${account.id}/refresh-usage`)
      .set('cookie', alice.cookie)
      .expect(200);
    expect(refreshed.body.primaryWindow).toMatchObject({ usedPercent: 42, windowMinutes: 300 });
    expect(refreshed.body.secondaryWindow).toMatchObject({ usedPercent: 7, windowMinutes: 10080 });
    expect(new Date(refreshed.body.primaryWindow.resetsAt).getTime()).toBeGreaterThan(Date.now());

    fake.setUsage(seat, { primary: 100, secondary: 50 });
    await app.instance.app.get(QuotaPollerService).pollAll();
    const exhausted = await request(app.url).get(`/api/accounts/${account.id}`).set('cookie', alice.cookie).expect(200);
    expect(exhausted.body.status).toBe('quota_exceeded');
    expect(exhausted.body.cooldownUntil).not.toBeNull();
    expect(exhausted.body.primaryWindow).toMatchObject({ usedPercent: 100 });
    const [{ table }] = await app.instance.dataSource.query(`SELECT to_regclass('usage_history') AS table`);
    expect(table).toBeNull();
  });

  it('refreshes once for 20 concurrent users of an expired token, never reusing a rotated token', async () => {
    const seat = fake.addAccount({ email: 'rotate@example.com' });
    const account = (await importSeat(alice.cookie, seat).expect(201)).body;
    const tokens = app.instance.app.get(AccountTokensService);
    await app.instance.dataSource.query(
      `UPDATE accounts SET token_expires_at = now() - interval '1 minute' WHERE id = $1`,
      [account.id],
    );
    const results = await Promise.all(Array.from({ length: 20 }, () => tokens.getAccess(account.id)));
    expect(fake.refreshCount(seat)).toBe(1);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    expect(results[0].accessToken).toBe(seat.accessToken);
    // After a 401, a second wave refreshes exactly once more, with the newest token.
    await Promise.all(Array.from({ length: 20 }, () => tokens.refresh(account.id)));
    expect(fake.refreshCount(seat)).toBe(2);
    expect(new Set(fake.refreshTokensSeen).size).toBe(fake.refreshTokensSeen.length);
    const status = await request(app.url).get(`/api/accounts/${account.id}`).set('cookie', alice.cookie).expect(200);
    expect(status.body.status).toBe('active');
  });

  it('marks an account reauth_required on a permanent refresh error, and deactivated when upstream says so', async () => {
    const seat = fake.addAccount({ email: 'expired-refresh@example.com' });
    const account = (await importSeat(alice.cookie, seat).expect(201)).body;
    fake.forceRefreshError(seat, 'refresh_token_expired');
    const tokens = app.instance.app.get(AccountTokensService);
    await expect(tokens.refresh(account.id)).rejects.toThrow();
    const after = await request(app.url).get(`/api/accounts/${account.id}`).set('cookie', alice.cookie).expect(200);
    expect(after.body.status).toBe('reauth_required');
    expect(after.body.statusReason).toMatch(/refresh_token_expired/);

    const gone = fake.addAccount({ email: 'deactivated@example.com' });
    const goneAccount = (await importSeat(alice.cookie, gone).expect(201)).body;
    fake.forceRefreshError(gone, 'account_deactivated');
    await expect(tokens.refresh(goneAccount.id)).rejects.toThrow();
    const deactivated = await request(app.url)
      .get(`/api/accounts/${goneAccount.id}`)
      .set('cookie', alice.cookie)
      .expect(200);
    expect(deactivated.body.status).toBe('deactivated');

    // A transient failure changes nothing and the same token may be used again later.
    const flaky = fake.addAccount({ email: 'flaky@example.com' });
    const flakyAccount = (await importSeat(alice.cookie, flaky).expect(201)).body;
    fake.forceRefreshError(flaky, 'server_error', 1);
    await expect(tokens.refresh(flakyAccount.id)).rejects.toThrow();
    expect(
      (await request(app.url).get(`/api/accounts/${flakyAccount.id}`).set('cookie', alice.cookie)).body.status,
    ).toBe('active');
    await tokens.refresh(flakyAccount.id);
    expect(fake.refreshCount(flaky)).toBe(1);
  });
});

describe('two API processes on one database', () => {
  it('never refresh the same account twice, and a start with another key is refused', async () => {
    const fake = await FakeUpstream.start();
    const db = await createTestDatabase();
    const env = {
      CODEX_LB_AUTH_BASE_URL: fake.authBaseUrl,
      CODEX_LB_UPSTREAM_BASE_URL: fake.backendBaseUrl,
      CODEX_LB_OAUTH_CALLBACK_PORT: '0',
    };
    const a = await startTestApp({ db, env });
    const b = await startTestApp({ db, env });
    try {
      const cookie = await login(b, 'admin', ADMIN_PASSWORD);
      const seat = fake.addAccount();
      const account = (
        await request(b.url).post('/api/accounts/import').set('cookie', cookie).send(fake.authJsonFor(seat)).expect(201)
      ).body;
      const [ta, tb] = [a.instance.app.get(AccountTokensService), b.instance.app.get(AccountTokensService)];
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? ta : tb).refresh(account.id).then((r) => r.accessToken)),
      );
      expect(fake.refreshCount(seat)).toBe(1);
      expect(new Set(results).size).toBe(1);
      expect(new Set(fake.refreshTokensSeen).size).toBe(fake.refreshTokensSeen.length);

      await expect(
        startTestApp({ db, env: { ...env, CODEX_LB_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64') } }),
      ).rejects.toThrow(/encryption key does not match/);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
      await fake.close();
    }
  });
});
