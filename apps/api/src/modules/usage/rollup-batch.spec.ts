import { randomUUID } from 'node:crypto';
import type { RequestLogEntry } from './request-log.types';
import { NONE_ID, rollupDeltas, seriesDeltas } from './rollup-batch';

function entry(overrides: Partial<RequestLogEntry>): RequestLogEntry {
  return {
    requestId: randomUUID(),
    requestedAt: new Date('2026-11-24T10:59:59.000Z'),
    ownerUserId: 'b0000000-0000-4000-8000-000000000000',
    apiKeyId: 'c0000000-0000-4000-8000-000000000000',
    accountId: 'd0000000-0000-4000-8000-000000000000',
    route: '/v1/responses',
    model: 'gpt-5',
    stream: true,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    inputTokens: 10,
    cachedInputTokens: 2,
    outputTokens: 5,
    reasoningTokens: 1,
    costUsd: 0.5,
    latencyMs: 100,
    ttfbMs: 20,
    clientIp: null,
    userAgent: null,
    sessionId: null,
    ...overrides,
  };
}

describe('rollupDeltas', () => {
  const ownerA = 'a0000000-0000-4000-8000-000000000000';
  const entries = [
    entry({}),
    entry({ requestedAt: new Date('2026-11-24T11:00:00.000Z') }),
    entry({ ownerUserId: ownerA, status: 'error', inputTokens: null, ttfbMs: null }),
    entry({ apiKeyId: null, accountId: null, model: null, status: 'cancelled' }),
    entry({ costUsd: null, latencyMs: 300 }),
  ];

  it('sums each (bucket, owner, key, account, model) once, in key order', () => {
    const hourly = rollupDeltas(entries, 'hour');
    const keys = hourly.map((d) => [d.bucket_start, d.owner_user_id, d.api_key_id, d.account_id, d.model].join('|'));
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
    expect(hourly).toHaveLength(4);
    const main = hourly.find(
      (d) =>
        d.bucket_start === '2026-11-24T10:00:00.000Z' &&
        d.owner_user_id === entries[0].ownerUserId &&
        d.model === 'gpt-5',
    )!;
    expect(main).toMatchObject({ requests: 2, input_tokens: 20, cost_usd: 0.5, latency_sum_ms: 400, ttfb_count: 2 });
    const none = hourly.find((d) => d.api_key_id === NONE_ID)!;
    expect(none).toMatchObject({ account_id: NONE_ID, model: '', cancelled: 1 });
    expect(hourly.find((d) => d.owner_user_id === ownerA)).toMatchObject({ errors: 1, input_tokens: 0, ttfb_count: 0 });
    const daily = rollupDeltas(entries, 'day');
    expect(daily.reduce((n, d) => n + d.requests, 0)).toBe(entries.length);
    expect(daily.every((d) => d.bucket_start === '2026-11-24T00:00:00.000Z')).toBe(true);
    expect(daily).toHaveLength(3);
  });

  it('folds hourly deltas along each chart dimension', () => {
    const series = seriesDeltas(rollupDeltas(entries, 'hour'));
    const total = (dimension: string) =>
      series.filter((s) => s.dimension === dimension).reduce((n, s) => n + s.requests, 0);
    for (const dimension of ['model', 'key', 'account']) expect(total(dimension)).toBe(entries.length);
  });
});
