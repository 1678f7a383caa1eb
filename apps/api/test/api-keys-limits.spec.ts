// Key limits on the real app: exact admission under concurrency, reserve-then-settle for tokens
// with release on failure, 429s in OpenAI's envelope with Retry-After, the usage the dashboard
// shows, and token counters that survive a restart (seeded from api_key_usage).
import type { ArgumentsHost } from '@nestjs/common';
import { Client } from 'pg';
import { HttpExceptionFilter } from '../src/common/http-exception.filter';
import { ApiKeyAuthService } from '../src/modules/api-keys/api-key-auth.service';
import { ApiKeysService } from '../src/modules/api-keys/api-keys.service';
import { ApiKeyLimiter } from '../src/modules/api-keys/limits/api-key-limiter';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './support/app';
import { as } from './support/api-keys';
import { createTestDatabase, type TestDatabase } from './support/database';

function renderForProxy(error: unknown) {
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const reply = {
    sent: false,
    raw: { headersSent: false, writableEnded: false },
    headers: (h: Record<string, string>) => (Object.assign(sent.headers, h), reply),
    status: (code: number) => ((sent.status = code), reply),
    send: (body: unknown) => void (sent.body = body),
  };
  const host = {
    switchToHttp: () => ({
      getRequest: () => ({ url: '/v1/responses', method: 'POST', id: 'r' }),
      getResponse: () => reply,
    }),
  } as unknown as ArgumentsHost;
  new HttpExceptionFilter().catch(error, host);
  return sent;
}

/** Waits out the end of a minute, so a burst cannot straddle two per-minute windows. */
async function awayFromMinuteEdge(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 50));
}

describe('API key limits', () => {
  let db: TestDatabase;
  let app: TestApp;
  let cookie: string;

  const services = () => ({
    auth: app.instance.app.get(ApiKeyAuthService),
    limiter: app.instance.app.get(ApiKeyLimiter),
    keys: app.instance.app.get(ApiKeysService),
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp({ db, env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
    const admin = await login(app, 'admin', ADMIN_PASSWORD);
    cookie = (await createUserSession(app, admin, 'limited')).cookie;
  });
  afterAll(async () => {
    await app?.close();
    await db.drop();
  });

  it('admits exactly N requests per minute under 50 concurrent callers', async () => {
    const { body } = await as(app, cookie)
      .post('/api/api-keys', { name: 'rpm', limits: [{ kind: 'requests', window: 'minute', max: 7 }] })
      .expect(201);
    const { auth, limiter } = services();
    await awayFromMinuteEdge();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, async () => {
        const key = await auth.authenticate(body.key);
        const reservation = await limiter.reserve(key, { model: 'gpt-5.1-codex', estimatedInputTokens: 10 });
        await reservation.settle({ inputTokens: 10, outputTokens: 2 });
      }),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(43);
    expect(new Set(refused.map((r) => r.reason.code))).toEqual(new Set(['rate_limit_exceeded']));

    const rendered = renderForProxy(refused[0].reason);
    expect(rendered.status).toBe(429);
    expect(Number(rendered.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(rendered.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(rendered.body).toEqual({
      error: {
        message: expect.stringMatching(/7 requests per minute .*resets at \d{4}-\d\d-\d\dT/),
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        param: null,
      },
    });
    const shown = await as(app, cookie).get(`/api/api-keys/${body.apiKey.id}`).expect(200);
    expect(shown.body.limits[0]).toMatchObject({ kind: 'requests', max: 7, used: 7, remaining: 0 });
  });

  it('reserves token estimates, settles real usage and releases on failure', async () => {
    const { body } = await as(app, cookie)
      .post('/api/api-keys', {
        name: 'tokens',
        limits: [
          { kind: 'input_tokens', window: 'daily', max: 1000 },
          { kind: 'cost_usd', window: 'monthly', max: 100 },
        ],
      })
      .expect(201);
    const { auth, limiter, keys } = services();
    const key = await auth.authenticate(body.key);

    const first = await limiter.reserve(key, { model: 'gpt-5', estimatedInputTokens: 600 });
    const blocked = await limiter.reserve(key, { model: 'gpt-5', estimatedInputTokens: 600 }).catch((e) => e);
    expect(blocked.code).toBe('usage_limit_exceeded');
    expect(blocked.message).toMatch(/1000 input tokens per day \(UTC\)/);
    expect(blocked.message).toMatch(/600 input tokens used or reserved/);

    await first.release(); // the upstream failed: nothing is charged
    await first.settle({ inputTokens: 999, outputTokens: 0 }); // ignored: already released
    const second = await limiter.reserve(key, { model: 'gpt-5', estimatedInputTokens: 600 });
    await second.settle({ inputTokens: 300, cachedInputTokens: 100, outputTokens: 50, reasoningTokens: 20 });
    await second.settle({ inputTokens: 300, outputTokens: 50 }); // exactly once

    const usage = await keys.usageForKey(body.apiKey.id);
    const [cost, input] = usage.limits;
    expect(input).toMatchObject({ kind: 'input_tokens', used: 300, remaining: 700 });
    expect(cost.kind).toBe('cost_usd');
    expect(cost.used).toBeCloseTo((200 * 1.25 + 100 * 0.125 + 50 * 10) / 1e6, 6);
    expect(Date.parse(input.resetsAt)).toBeGreaterThan(Date.now());

    await expect(limiter.reserve(key, { model: 'gpt-5', estimatedInputTokens: 701 })).rejects.toMatchObject({
      code: 'usage_limit_exceeded',
    });
    const third = await limiter.reserve(key, { model: 'gpt-5', estimatedInputTokens: 700 });
    await third.settle(null); // usage unknown: the estimate is charged

    // Stale reservations are reclaimed.
    await as(app, cookie)
      .patch(`/api/api-keys/${body.apiKey.id}`, {
        limits: [
          { kind: 'input_tokens', window: 'daily', max: 1100 },
          { kind: 'cost_usd', window: 'monthly', max: 100 },
        ],
      })
      .expect(200);
    const fresh = await auth.authenticate(body.key);
    await limiter.reserve(fresh, { model: 'gpt-5', estimatedInputTokens: 100 });
    await expect(limiter.reserve(fresh, { model: 'gpt-5', estimatedInputTokens: 1 })).rejects.toBeDefined();
    expect(await limiter.sweep(Date.now() + limiter.leaseMs + 1)).toBe(1);
    const after = await limiter.reserve(fresh, { model: 'gpt-5', estimatedInputTokens: 100 });
    await after.release();
  });

  it('keeps token counters across a restart', async () => {
    const { body } = await as(app, cookie)
      .post('/api/api-keys', { name: 'durable', limits: [{ kind: 'total_tokens', window: 'weekly', max: 500 }] })
      .expect(201);
    const { auth, limiter } = services();
    const reservation = await limiter.reserve(await auth.authenticate(body.key), { model: 'gpt-5.1-codex' });
    await reservation.settle({ inputTokens: 300, outputTokens: 120 });

    await app.close(); // flushes pending usage on shutdown
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const stored = await client.query(
      `SELECT window_kind, model, requests::int, total_tokens::int FROM api_key_usage WHERE api_key_id = $1
       ORDER BY window_kind`,
      [body.apiKey.id],
    );
    await client.end();
    expect(stored.rows).toEqual(
      ['5h', 'daily', 'monthly', 'weekly'].map((window_kind) => ({
        window_kind,
        model: 'gpt-5.1-codex',
        requests: 1,
        total_tokens: 420,
      })),
    );

    app = await startTestApp({ db, env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
    const restarted = services();
    const key = await restarted.auth.authenticate(body.key);
    await expect(restarted.limiter.reserve(key, { model: 'gpt-5', estimatedInputTokens: 81 })).rejects.toMatchObject({
      code: 'usage_limit_exceeded',
    });
    const usage = await restarted.keys.usageForKey(body.apiKey.id);
    expect(usage.limits[0]).toMatchObject({ used: 420, remaining: 80 });
  });
});
