// OAuth behaviour over real HTTP: PKCE, one-time codes, rotation, family revocation, device flow.
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { decodeJwt } from './jwt';
import { CLIENT_ID, FakeUpstream, pkceChallenge, type FakeSeat } from './index';

const REDIRECT = 'http://localhost:1455/auth/callback';
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await FakeUpstream.start({ port: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset({ seats: true }));

async function post(path: string, body: Record<string, string>, form = false, base = fake.baseUrl) {
  const res = await request(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as any };
}

async function authorize(challenge: string, params: Record<string, string> = {}) {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: 'openid profile email offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-123',
    ...params,
  });
  const res = await request(`${fake.authBaseUrl}/oauth/authorize?${q}`);
  await res.body.text();
  return { status: res.statusCode, location: res.headers.location as string | undefined };
}

async function login(form = true): Promise<{ status: number; body: any }> {
  const verifier = randomBytes(32).toString('base64url');
  const { location } = await authorize(pkceChallenge(verifier));
  const code = new URL(location!).searchParams.get('code')!;
  const exchange = {
    grant_type: 'authorization_code',
    client_id: CLIENT_ID,
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT,
  };
  return post('/oauth/token', exchange, form);
}

async function refresh(token: string) {
  return post('/oauth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: token });
}

async function backendStatus(seat: { accessToken: string; chatgptAccountId: string }) {
  const res = await request(`${fake.backendBaseUrl}/wham/usage`, {
    headers: { authorization: `Bearer ${seat.accessToken}`, 'chatgpt-account-id': seat.chatgptAccountId },
  });
  await res.body.text();
  return res.statusCode;
}

describe('browser authorization code flow', () => {
  it('redirects with code and state, then exchanges a form body for tokens with the right claims', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const { status, location } = await authorize(pkceChallenge(verifier));
    expect(status).toBe(302);
    const url = new URL(location!);
    expect(`${url.origin}${url.pathname}`).toBe(REDIRECT);
    expect(url.searchParams.get('state')).toBe('st-123');
    const res = await post(
      '/oauth/token',
      {
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        code: url.searchParams.get('code')!,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
      },
      true,
    );
    expect(res.status).toBe(200);
    const claims = decodeJwt(res.body.id_token)!;
    const auth = claims['https://api.openai.com/auth'] as Record<string, string>;
    const seat = fake.seats()[0];
    expect(claims.email).toBe(seat.email);
    expect(auth.chatgpt_account_id).toBe(seat.chatgptAccountId);
    expect(auth.chatgpt_user_id).toBe(seat.chatgptUserId);
    expect(auth.chatgpt_plan_type).toBe('plus');
    expect(typeof claims.exp).toBe('number');
    expect(decodeJwt(res.body.access_token)!.exp).toBeGreaterThan(Date.now() / 1000);
    expect(await backendStatus({ accessToken: res.body.access_token, chatgptAccountId: seat.chatgptAccountId })).toBe(
      200,
    );
  });

  it('accepts a JSON token request too', async () => {
    const res = await login(false);
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toMatch(/^rt_/);
  });

  it('rejects a verifier that does not match the challenge, and burns the code', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const { location } = await authorize(pkceChallenge(verifier));
    const code = new URL(location!).searchParams.get('code')!;
    const base = { grant_type: 'authorization_code', client_id: CLIENT_ID, code, redirect_uri: REDIRECT };
    const wrong = await post('/oauth/token', { ...base, code_verifier: `${verifier}x` }, true);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    const retry = await post('/oauth/token', { ...base, code_verifier: verifier }, true);
    expect(retry.status).toBe(400);
  });

  it('refuses a second use of a code and a different redirect_uri', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const { location } = await authorize(pkceChallenge(verifier));
    const code = new URL(location!).searchParams.get('code')!;
    const base = { grant_type: 'authorization_code', client_id: CLIENT_ID, code, code_verifier: verifier };
    expect((await post('/oauth/token', { ...base, redirect_uri: REDIRECT })).status).toBe(200);
    expect((await post('/oauth/token', { ...base, redirect_uri: REDIRECT })).status).toBe(400);

    const v2 = randomBytes(32).toString('base64url');
    const code2 = new URL((await authorize(pkceChallenge(v2))).location!).searchParams.get('code')!;
    const mismatch = await post('/oauth/token', {
      ...base,
      code: code2,
      code_verifier: v2,
      redirect_uri: 'http://localhost:9999/cb',
    });
    expect(mismatch.status).toBe(400);
  });

  it('validates the authorize request', async () => {
    expect((await authorize('c', { client_id: 'someone-else' })).status).toBe(400);
    expect((await authorize('c', { code_challenge_method: 'plain' })).status).toBe(400);
    expect((await authorize('c', { state: '' })).status).toBe(400);
    expect((await authorize('c', { response_type: 'token' })).status).toBe(400);
  });

  it('logs into a queued seat instead of creating one', async () => {
    const seat = fake.addAccount({ email: 'queued@example.test' });
    fake.nextLoginSeat(seat);
    const res = await login();
    expect(decodeJwt(res.body.id_token)!.email).toBe('queued@example.test');
    expect(fake.seats()).toHaveLength(1);
    await login();
    expect(fake.seats()).toHaveLength(2);
  });
});

describe('refresh token rotation', () => {
  let seat: FakeSeat;
  beforeEach(() => {
    seat = fake.addAccount();
  });

  it('returns a new refresh and access token each time and counts refreshes', async () => {
    const first = seat.refreshToken;
    const firstAccess = seat.accessToken;
    const a = await refresh(first);
    expect(a.status).toBe(200);
    expect(a.body.refresh_token).not.toBe(first);
    expect(a.body.access_token).not.toBe(firstAccess);
    const b = await refresh(a.body.refresh_token);
    expect(b.status).toBe(200);
    expect(b.body.refresh_token).not.toBe(a.body.refresh_token);
    expect(fake.refreshCount(seat)).toBe(2);
    expect(seat.refreshToken).toBe(b.body.refresh_token);
    expect(fake.refreshTokensSeen).toEqual([first, a.body.refresh_token]);
  });

  it('revokes the whole family when a used refresh token is presented again', async () => {
    const old = seat.refreshToken;
    const rotated = await refresh(old);
    const fresh = { accessToken: rotated.body.access_token as string, chatgptAccountId: seat.chatgptAccountId };
    expect(await backendStatus(fresh)).toBe(200);

    const reuse = await refresh(old);
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('refresh_token_reused');

    expect(await backendStatus(fresh)).toBe(401);
    const next = await refresh(rotated.body.refresh_token);
    expect(next.status).toBe(401);
    expect(next.body.error.code).toBe('refresh_token_invalidated');
  });

  it('a new login starts a fresh family that the old revocation does not touch', async () => {
    const old = seat.refreshToken;
    await refresh(old);
    await refresh(old);
    fake.nextLoginSeat(seat);
    const relog = await login();
    expect(relog.status).toBe(200);
    expect(await backendStatus({ accessToken: relog.body.access_token, chatgptAccountId: seat.chatgptAccountId })).toBe(
      200,
    );
  });

  it.each([
    ['refresh_token_expired', 401],
    ['refresh_token_invalidated', 401],
    ['account_deactivated', 401],
    ['server_error', 503],
  ] as const)('forced %s answers %i with error.code and leaves the token unused', async (code, status) => {
    fake.forceRefreshError(seat, code, 1);
    const res = await refresh(seat.refreshToken);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(typeof res.body.error.message).toBe('string');
    expect((await refresh(seat.refreshToken)).status).toBe(200);
  });

  it('forced invalid_grant uses the RFC 6749 shape and persists until cleared', async () => {
    fake.forceRefreshError(seat, 'invalid_grant');
    for (let i = 0; i < 2; i += 1) {
      const res = await refresh(seat.refreshToken);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
    }
    fake.forceRefreshError(seat, null);
    expect((await refresh(seat.refreshToken)).status).toBe(200);
  });

  it('a deactivated seat cannot refresh or call the backend', async () => {
    fake.deactivate(seat);
    expect(await backendStatus(seat)).toBe(401);
    const res = await refresh(seat.refreshToken);
    expect(res.body.error.code).toBe('account_deactivated');
  });

  it('unknown refresh tokens and client ids are rejected', async () => {
    expect((await refresh('rt_nope')).body.error).toBe('invalid_grant');
    const res = await post('/oauth/token', {
      grant_type: 'refresh_token',
      client_id: 'x',
      refresh_token: seat.refreshToken,
    });
    expect(res.status).toBe(401);
  });
});

describe('device code flow', () => {
  async function startDevice() {
    const res = await post('/api/accounts/deviceauth/usercode', { client_id: CLIENT_ID });
    expect(res.status).toBe(200);
    return res.body as { device_auth_id: string; user_code: string; interval: string };
  }

  async function exchangeDevice(d: { device_auth_id: string; user_code: string }, redirectBase = fake.authBaseUrl) {
    const poll = await post('/api/accounts/deviceauth/token', {
      device_auth_id: d.device_auth_id,
      user_code: d.user_code,
    });
    expect(poll.status).toBe(200);
    expect(pkceChallenge(poll.body.code_verifier)).toBe(poll.body.code_challenge);
    return post(
      '/oauth/token',
      {
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        code: poll.body.authorization_code,
        code_verifier: poll.body.code_verifier,
        redirect_uri: `${redirectBase}/deviceauth/callback`,
      },
      true,
    );
  }

  it('stays pending (403) until approved into the chosen seat', async () => {
    const manual = await FakeUpstream.start({ autoApproveDevice: false });
    try {
      const seat = manual.addAccount({ email: 'device@example.test' });
      const started = await post('/api/accounts/deviceauth/usercode', { client_id: CLIENT_ID }, false, manual.baseUrl);
      const d = started.body as { device_auth_id: string; user_code: string; interval: string };
      expect(d.user_code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{5}$/);
      expect(Number(d.interval)).toBeGreaterThan(0);
      const pollBody = { device_auth_id: d.device_auth_id, user_code: d.user_code };
      for (let i = 0; i < 3; i += 1) {
        expect((await post('/api/accounts/deviceauth/token', pollBody, false, manual.baseUrl)).status).toBe(403);
      }
      expect(manual.approveDevice(d.user_code, seat)).toBe(true);
      const poll = await post('/api/accounts/deviceauth/token', pollBody, false, manual.baseUrl);
      expect(poll.status).toBe(200);
      const tokens = await post(
        '/oauth/token',
        {
          grant_type: 'authorization_code',
          client_id: CLIENT_ID,
          code: poll.body.authorization_code,
          code_verifier: poll.body.code_verifier,
          redirect_uri: `${manual.authBaseUrl}/deviceauth/callback`,
        },
        true,
        manual.baseUrl,
      );
      expect(tokens.status).toBe(200);
      expect(decodeJwt(tokens.body.id_token)!.email).toBe('device@example.test');
      expect(manual.seats()).toHaveLength(1);
    } finally {
      await manual.close();
    }
  });

  it('auto-approves on the second poll and accepts the real redirect uri', async () => {
    const d = await startDevice();
    const first = await post('/api/accounts/deviceauth/token', {
      device_auth_id: d.device_auth_id,
      user_code: d.user_code,
    });
    expect(first.status).toBe(403);
    const tokens = await exchangeDevice(d, 'https://auth.openai.com');
    expect(tokens.status).toBe(200);
    expect(fake.seats()).toHaveLength(1);
  });

  it('answers 404 for an unknown device authorization', async () => {
    const res = await post('/api/accounts/deviceauth/token', { device_auth_id: 'nope', user_code: 'AAAA-BBBBB' });
    expect(res.status).toBe(404);
  });
});
