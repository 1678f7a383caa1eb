// Test controls, in-process and over /__fake/*: injected failures, cuts, delays, logging, reset.
import { request } from 'undici';
import { FakeUpstream, parseSse, type FakeSeat } from './index';

let fake: FakeUpstream;
let seat: FakeSeat;

beforeAll(async () => {
  fake = await FakeUpstream.start();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset({ seats: true });
  seat = fake.addAccount();
});

const BODY = JSON.stringify({
  model: 'gpt-5.1-codex',
  stream: true,
  store: false,
  input: [{ role: 'user', content: 'ping' }],
});

function stream(s: FakeSeat = seat, base = fake.backendBaseUrl) {
  return request(`${base}/codex/responses`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${s.accessToken}`,
      'chatgpt-account-id': s.chatgptAccountId,
      'content-type': 'application/json',
    },
    body: BODY,
  });
}

async function control(path: string, body?: unknown) {
  const res = await request(`${fake.baseUrl}/__fake/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as any };
}

describe('failNext', () => {
  it('answers 429 usage_limit_reached with resets for `count` requests, then streams again', async () => {
    fake.failNext(seat.chatgptAccountId, { status: 429, count: 2, resetsInSeconds: 120 });
    for (let i = 0; i < 2; i += 1) {
      const res = await stream();
      expect(res.statusCode).toBe(429);
      const { error } = (await res.body.json()) as any;
      expect(error).toMatchObject({ type: 'usage_limit_reached', resets_in_seconds: 120, plan_type: 'plus' });
      expect(error.resets_at).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 119);
      expect(typeof error.message).toBe('string');
      expect(res.headers['x-codex-primary-used-percent']).toBeDefined();
    }
    const ok = await stream();
    expect(ok.statusCode).toBe(200);
    await ok.body.text();
  });

  it.each([500, 502, 503, 401] as const)('answers %i once', async (status) => {
    fake.failNext(seat, { status });
    const res = await stream();
    expect(res.statusCode).toBe(status);
    const body = (await res.body.json()) as any;
    if (status === 401) expect(body.error.code).toBe('token_expired');
    else expect(body.error.type).toBe('server_error');
    const ok = await stream();
    expect(ok.statusCode).toBe(200);
    await ok.body.text();
  });

  it("'response.failed' streams a 200 that ends in a failure event", async () => {
    fake.failNext(seat, { status: 'response.failed' });
    const res = await stream();
    expect(res.statusCode).toBe(200);
    const events = parseSse(await res.body.text());
    expect(events.map((e) => e.event)).toEqual([
      'codex.rate_limits',
      'response.created',
      'response.in_progress',
      'response.failed',
    ]);
    expect((events[3].data.response as any).error.code).toBe('server_error');
  });

  it('only affects the named seat', async () => {
    const other = fake.addAccount();
    fake.failNext(seat, { status: 503 });
    const res = await stream(other);
    expect(res.statusCode).toBe(200);
    await res.body.text();
  });
});

describe('stream faults', () => {
  it('cuts the socket after N events, once', async () => {
    fake.disconnectMidStream(seat, 3);
    const res = await stream();
    expect(res.statusCode).toBe(200);
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of res.body) text += chunk.toString();
      })(),
    ).rejects.toThrow();
    const types = parseSse(text).map((e) => e.event);
    expect(types).toEqual(['codex.rate_limits', 'response.created', 'response.in_progress']);
    const next = await stream();
    expect(parseSse(await next.body.text()).at(-1)!.event).toBe('response.completed');
  });

  it('delays the first byte for one seat or for all', async () => {
    const other = fake.addAccount();
    fake.slowFirstByte(250, seat);
    let t = Date.now();
    await (await stream()).body.text();
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
    t = Date.now();
    await (await stream(other)).body.text();
    expect(Date.now() - t).toBeLessThan(200);
    fake.slowFirstByte(250);
    t = Date.now();
    await (await stream(other)).body.text();
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
  });

  it('paces events when eventDelayMs is set', async () => {
    const paced = await FakeUpstream.start({ eventDelayMs: 20 });
    try {
      const s = paced.addAccount();
      const t = Date.now();
      const text = await (await stream(s, paced.backendBaseUrl)).body.text();
      expect(parseSse(text).length).toBeGreaterThan(8);
      expect(Date.now() - t).toBeGreaterThanOrEqual(8 * 20);
    } finally {
      await paced.close();
    }
  });
});

describe('observation and reset', () => {
  it('keeps no log when recordRequests is false but still counts', async () => {
    const quiet = await FakeUpstream.start({ recordRequests: false });
    try {
      const s = quiet.addAccount();
      await (await stream(s, quiet.backendBaseUrl)).body.text();
      expect(quiet.requests).toHaveLength(0);
      expect(quiet.requestCount(s)).toBe(1);
    } finally {
      await quiet.close();
    }
  });

  it('caps the request log', async () => {
    const capped = await FakeUpstream.start({ requestLogCap: 2 });
    try {
      const s = capped.addAccount();
      for (let i = 0; i < 4; i += 1) await (await stream(s, capped.backendBaseUrl)).body.text();
      expect(capped.requests).toHaveLength(2);
    } finally {
      await capped.close();
    }
  });

  it('reset clears controls and counters but keeps seats usable', async () => {
    fake.failNext(seat, { status: 500, count: 5 });
    await (await stream()).body.text();
    fake.reset();
    expect(fake.requestCount(seat)).toBe(0);
    expect(fake.requests).toHaveLength(0);
    const res = await stream();
    expect(res.statusCode).toBe(200);
    await res.body.text();
  });
});

describe('HTTP controls', () => {
  it('creates a seat with a usable auth.json', async () => {
    const created = await control('accounts', { email: 'http@example.test', planType: 'team' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'http@example.test', planType: 'team' });
    const auth = created.body.authJson;
    expect(auth.tokens.account_id).toBe(created.body.chatgptAccountId);
    const res = await stream({ ...created.body, accessToken: auth.tokens.access_token });
    expect(res.statusCode).toBe(200);
    await res.body.text();
  });

  it('injects failures, reports stats and resets', async () => {
    expect((await control('fail-next', { seat: seat.chatgptAccountId, status: 429, resetsInSeconds: 30 })).status).toBe(
      200,
    );
    const limited = await stream();
    expect(limited.statusCode).toBe(429);
    expect(((await limited.body.json()) as any).error.resets_in_seconds).toBe(30);
    const stats = await control('stats');
    expect(stats.body.requestsBySeat[seat.chatgptAccountId]).toBe(1);
    expect(stats.body.seats[0]).toMatchObject({ chatgptAccountId: seat.chatgptAccountId, requests: 1 });
    expect((await control('reset', {})).status).toBe(200);
    expect((await control('stats')).body.totalRequests).toBe(0);
  });

  it('changes options at runtime: no usage growth', async () => {
    expect((await control('config', { usageGrowth: { primary: 0, secondary: 0 } })).status).toBe(200);
    try {
      fake.setUsage(seat, { primary: 5, secondary: 5 });
      await (await stream()).body.text();
      expect(fake.usageFor(seat).rate_limit.primary_window.used_percent).toBe(5);
    } finally {
      fake.configure({ usageGrowth: { primary: 0.1, secondary: 0.02 } });
    }
    await (await stream()).body.text();
    expect(fake.usageFor(seat).rate_limit.primary_window.used_percent).toBeCloseTo(5.1, 5);
  });

  it('rejects bad control input with 400', async () => {
    expect((await control('fail-next', { seat: seat.chatgptAccountId, status: 418 })).status).toBe(400);
    expect((await control('fail-next', { seat: 'acct-unknown', status: 500 })).status).toBe(400);
    expect((await control('refresh-error', { seat: seat.chatgptAccountId, code: 'bogus' })).status).toBe(400);
  });

  it('drives usage and refresh errors', async () => {
    const usage = await control('usage', { seat: seat.chatgptUserId, primary: 55 });
    expect(usage.body.rate_limit.primary_window.used_percent).toBe(55);
    await control('refresh-error', { seat: seat.chatgptAccountId, code: 'refresh_token_expired', count: 1 });
    const res = await request(`${fake.authBaseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
        refresh_token: seat.refreshToken,
      }),
    });
    expect(res.statusCode).toBe(401);
    expect(((await res.body.json()) as any).error.code).toBe('refresh_token_expired');
  });
});
