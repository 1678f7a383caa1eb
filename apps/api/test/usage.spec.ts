// Usage reports and the overview through the real writer and HTTP API: summaries (with the
// previous period), percentiles and time series match the rows written, answered from rollups
// across hourly and daily segments; a user sees only their own numbers, an admin anyone's.
import { addToHistogram, emptyHistogram, percentile } from '../src/modules/usage/latency-histogram';
import type { RequestLogEntry } from '../src/modules/usage/request-log.writer';
import { as } from './support/api-keys';
import { startTestApp, type TestApp } from './support/app';
import { entry, usageWorld, write, type UsageWorld } from './support/request-logs';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('usage reports and overview', () => {
  let app: TestApp;
  let world: UsageWorld;
  // 20:00 UTC five days ago: the current period [T, T+6h) crosses midnight, so a range starting
  // before T is answered from hourly rows at the edges and daily rows in between.
  const T = Math.floor((Date.now() - 5 * DAY) / DAY) * DAY + 20 * HOUR;
  const at = (hours: number, minutes = 0) => new Date(T + hours * HOUR + minutes * 60_000);
  let aliceCurrent: RequestLogEntry[];

  beforeAll(async () => {
    app = await startTestApp();
    world = await usageWorld(app);
    const { alice, bob } = world;
    aliceCurrent = [
      entry(alice, { requestedAt: at(0, 5), latencyMs: 120, ttfbMs: 40, inputTokens: 1000, costUsd: 0.01 }),
      entry(alice, { requestedAt: at(0, 6), latencyMs: 450, ttfbMs: null, outputTokens: null, costUsd: null }),
      entry(alice, { requestedAt: at(0, 7), latencyMs: 2300, ttfbMs: 900, reasoningTokens: null }),
      entry(alice, {
        requestedAt: at(2, 30),
        model: 'gpt-5',
        status: 'error',
        httpStatus: 502,
        errorCode: 'upstream_error',
        inputTokens: null,
        cachedInputTokens: null,
        outputTokens: null,
        reasoningTokens: null,
        costUsd: null,
        latencyMs: 60_000,
        ttfbMs: null,
      }),
      entry(alice, { requestedAt: at(5, 59), model: null, status: 'cancelled', apiKeyId: null, accountId: null }),
    ];
    await write(app, [
      ...aliceCurrent,
      entry(alice, { requestedAt: at(-1, 10), latencyMs: 300 }),
      entry(bob, { requestedAt: at(1, 0) }),
      entry(bob, { requestedAt: at(1, 1), model: 'gpt-5-mini' }),
    ]);
  });
  afterAll(() => app.close());

  const get = (cookie: string, path: string) => as(app, cookie).get(path).expect(200);
  const range = (fromH: number, toH: number) => `from=${at(fromH).toISOString()}&to=${at(toH).toISOString()}`;
  const sum = (entries: RequestLogEntry[], pick: (e: RequestLogEntry) => number | null) =>
    entries.reduce((total, e) => total + (pick(e) ?? 0), 0);
  const pct = (values: number[], p: number) => {
    const h = emptyHistogram();
    values.forEach((v) => addToHistogram(h, v));
    return percentile(h, p);
  };

  it('sums the current and the previous period of equal length from the rows written', async () => {
    const { body } = await get(
      world.alice.cookie,
      `/api/usage/summary?from=${at(0, 10).toISOString()}&to=${at(6).toISOString()}`,
    );
    expect(body.current).toEqual({
      from: at(0).toISOString(),
      to: at(6).toISOString(),
      requests: 5,
      errors: 1,
      cancelled: 1,
      inputTokens: sum(aliceCurrent, (e) => e.inputTokens),
      cachedInputTokens: sum(aliceCurrent, (e) => e.cachedInputTokens),
      outputTokens: sum(aliceCurrent, (e) => e.outputTokens),
      reasoningTokens: sum(aliceCurrent, (e) => e.reasoningTokens),
      totalTokens: sum(aliceCurrent, (e) => (e.inputTokens ?? 0) + (e.outputTokens ?? 0)),
      costUsd: expect.closeTo(
        sum(aliceCurrent, (e) => e.costUsd),
        8,
      ),
      latencyP50Ms: pct(
        aliceCurrent.map((e) => e.latencyMs),
        0.5,
      ),
      latencyP95Ms: pct(
        aliceCurrent.map((e) => e.latencyMs),
        0.95,
      ),
      avgLatencyMs: Math.round(sum(aliceCurrent, (e) => e.latencyMs) / 5),
      ttfbP50Ms: pct([40, 900, 200], 0.5),
      ttfbP95Ms: pct([40, 900, 200], 0.95),
    });
    expect(body.previous).toMatchObject({
      from: at(-6).toISOString(),
      to: at(0).toISOString(),
      requests: 1,
      errors: 0,
    });
    expect(body.current.latencyP95Ms).toBeGreaterThan(20_000);
  });

  it('gives the same totals whether a range is read from hourly or daily rows', async () => {
    const wide = (await get(world.alice.cookie, `/api/usage/summary?${range(-1, 72)}`)).body.current;
    expect(wide.requests).toBe(6);
    expect(wide.errors).toBe(1);
    const perHour = await Promise.all(
      Array.from({ length: 8 }, (_, h) => get(world.alice.cookie, `/api/usage/summary?${range(h - 1, h)}`)),
    );
    expect(perHour.map((r) => r.body.current.requests)).toEqual([1, 3, 0, 1, 0, 0, 1, 0]);
    expect(perHour.reduce((s, r) => s + r.body.current.inputTokens, 0)).toBe(wide.inputTokens);
  });

  it('scopes summaries: a user sees only their own numbers, an admin all or one owner', async () => {
    const path = `/api/usage/summary?${range(0, 6)}`;
    expect((await get(world.bob.cookie, path)).body.current.requests).toBe(2);
    expect((await get(world.bob.cookie, `${path}&ownerId=${world.alice.id}`)).body.current.requests).toBe(2);
    expect((await get(world.adminCookie, path)).body.current.requests).toBe(7);
    expect((await get(world.adminCookie, `${path}&ownerId=${world.bob.id}`)).body.current.requests).toBe(2);
  });

  it('charts by model, key, account and owner with readable labels', async () => {
    const series = async (cookie: string, query: string) =>
      (await get(cookie, `/api/usage/timeseries?${range(0, 6)}&${query}`)).body;
    const byModel = await series(world.alice.cookie, 'bucket=hour&groupBy=model');
    expect(byModel).toMatchObject({ bucket: 'hour', groupBy: 'model', from: at(0).toISOString() });
    const codex = byModel.series.find((s: { key: string }) => s.key === 'gpt-5-codex');
    expect(codex.points).toEqual([
      expect.objectContaining({
        t: at(0).toISOString(),
        requests: 3,
        inputTokens: sum(aliceCurrent.slice(0, 3), (e) => e.inputTokens),
      }),
    ]);
    expect(byModel.series.map((s: { label: string }) => s.label).sort()).toEqual([
      'Unknown model',
      'gpt-5',
      'gpt-5-codex',
    ]);

    const byKey = await series(world.alice.cookie, 'bucket=hour&groupBy=key');
    expect(byKey.series.map((s: { key: string | null; label: string }) => [s.key, s.label])).toEqual([
      [world.alice.keyId, 'alice-laptop'],
      [null, 'No key'],
    ]);
    const byAccount = await series(world.alice.cookie, 'bucket=day&groupBy=account');
    expect(byAccount.series[0]).toMatchObject({ key: world.alice.accountId, label: 'alice@example.com' });
    expect(byAccount.series[0].points.map((p: { t: string }) => p.t)).toEqual([
      new Date(Math.floor(T / DAY) * DAY).toISOString(),
    ]);
    expect(byAccount.series[1]).toMatchObject({ key: null, label: 'No account' });
    const ownersForUser = await series(world.alice.cookie, 'groupBy=owner');
    expect(ownersForUser.series.map((s: { label: string }) => s.label)).toEqual(['alice']);
    const owners = await series(world.adminCookie, 'bucket=day&groupBy=owner');
    expect(
      owners.series.map((s: { label: string; points: { requests: number }[] }) => [s.label, sum2(s.points)]),
    ).toEqual([
      ['alice', 5],
      ['bob', 2],
    ]);
  });

  it('refuses bad report queries with clear 400s', async () => {
    const bad = async (path: string, pattern: RegExp) => {
      const response = await as(app, world.alice.cookie).get(path).expect(400);
      expect(response.body.error.message).toMatch(pattern);
    };
    await bad(`/api/usage/timeseries?${range(0, 24 * 100)}&bucket=hour`, /at most 93 days/);
    await bad('/api/usage/timeseries?groupBy=color', /groupBy must be one of/);
    await bad('/api/usage/timeseries?bucket=week', /bucket must be/);
    await bad(`/api/usage/summary?${range(6, 0)}`, /to must be later than from/);
    await bad('/api/usage/summary?from=2020-01-01T00:00:00Z&to=2021-06-01T00:00:00Z', /at most 400 days/);
    await bad('/api/usage/summary?ownerId=me', /ownerId must be/);
  });

  it("shows the caller's accounts, today's totals and keys near their limits on the overview", async () => {
    const now = Date.now();
    const todayStart = Math.floor(now / DAY) * DAY;
    await write(app, [
      entry(world.alice, { requestedAt: new Date(Math.max(todayStart, now - 1000)), inputTokens: 7 }),
      entry(world.bob, { requestedAt: new Date(Math.max(todayStart, now - 1000)) }),
    ]);
    const alice = (await get(world.alice.cookie, '/api/dashboard/overview')).body;
    expect(alice.accounts.map((a: { id: string }) => a.id)).toEqual([world.alice.accountId]);
    expect(alice.accounts[0]).toHaveProperty('primaryWindow');
    expect(alice.today).toMatchObject({ from: new Date(todayStart).toISOString(), requests: 1, inputTokens: 7 });
    expect(alice.keysNearLimit).toEqual([
      expect.objectContaining({ apiKeyId: world.alice.keyId, name: 'alice-laptop', kind: 'requests', max: 1000 }),
    ]);
    expect(JSON.stringify(alice)).not.toMatch(/digest|token_enc|TokenEnc/i);

    const admin = (await get(world.adminCookie, '/api/dashboard/overview')).body;
    expect(admin.accounts).toHaveLength(2);
    expect(admin.today.requests).toBe(2);
    expect(admin.keysNearLimit).toHaveLength(2);
    const onlyBob = (await get(world.adminCookie, `/api/dashboard/overview?ownerId=${world.bob.id}`)).body;
    expect(onlyBob.accounts.map((a: { id: string }) => a.id)).toEqual([world.bob.accountId]);
    expect(onlyBob.keysNearLimit.map((k: { apiKeyId: string }) => k.apiKeyId)).toEqual([world.bob.keyId]);
    expect(onlyBob.today.requests).toBe(1);
  });
});

function sum2(points: { requests: number }[]): number {
  return points.reduce((s, p) => s + p.requests, 0);
}
