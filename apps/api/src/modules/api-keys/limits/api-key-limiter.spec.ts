import type { UsageRow } from '../api-keys.repository';
import type { KeyLimit } from '../api-key.types';
import { ApiKeyLimiter } from './api-key-limiter';
import { MemoryLimitCounterStore } from './limit-counter-store';
import type { KeyUsageRecorder } from './usage-recorder';
import { windowBounds } from './windows';

function recorderWith(rows: UsageRow[]) {
  const recorded: unknown[] = [];
  const recorder = {
    baseline: jest.fn(async () => rows.map((row) => ({ ...row }))),
    record: jest.fn((...args: unknown[]) => recorded.push(args)),
  };
  return { recorder: recorder as unknown as KeyUsageRecorder, calls: recorder, recorded };
}

const key = (limits: KeyLimit[]) => ({ id: '11111111-1111-4111-8111-111111111111', limits });

describe('ApiKeyLimiter', () => {
  it('refuses over a request limit with the window, reset time and Retry-After', async () => {
    const { recorder } = recorderWith([]);
    const limiter = new ApiKeyLimiter(new MemoryLimitCounterStore(), recorder);
    const k = key([{ kind: 'requests', window: 'minute', max: 2, model: null }]);
    await limiter.reserve(k, { model: 'gpt-5' });
    await limiter.reserve(k, { model: 'gpt-5' });
    const error = await limiter.reserve(k, { model: 'gpt-5' }).catch((e) => e);
    expect(error.getStatus()).toBe(429);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.message).toMatch(/2 requests per minute/);
    expect(error.message).toMatch(/resets at \d{4}-/);
    expect(Number(error.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(error.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('refuses a limited key with a retryable 503 when its counters cannot be reached, and serves an unlimited one', async () => {
    const { recorder } = recorderWith([]);
    const down = new MemoryLimitCounterStore();
    down.reserve = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    };
    const limiter = new ApiKeyLimiter(down, recorder);
    const error = await limiter
      .reserve(key([{ kind: 'requests', window: 'minute', max: 5, model: null }]), { model: 'gpt-5' })
      .catch((e) => e);
    expect(error.getStatus()).toBe(503);
    expect(error.code).toBe('limits_unavailable');
    expect(error.message).not.toMatch(/ECONNREFUSED|6379/);
    expect(error.headers['retry-after']).toBe('5');
    await expect(limiter.reserve(key([]), { model: 'gpt-5' })).resolves.toMatchObject({ id: '' });
  });

  it('seeds token counters from persisted usage once, filtered by model', async () => {
    const start = windowBounds('daily', Date.now()).start;
    const row = (model: string, inputTokens: number): UsageRow => ({
      apiKeyId: key([]).id,
      window: 'daily',
      windowStart: start,
      model,
      requests: 1,
      inputTokens,
      outputTokens: 0,
      totalTokens: inputTokens,
      costUsd: 0,
    });
    const { recorder, calls } = recorderWith([row('gpt-5', 700), row('gpt-5.1-codex', 200)]);
    const limiter = new ApiKeyLimiter(new MemoryLimitCounterStore(), recorder);
    const k = key([
      { kind: 'input_tokens', window: 'daily', max: 1000, model: null },
      { kind: 'input_tokens', window: 'daily', max: 250, model: 'gpt-5.1-*' },
    ]);
    const usage = await limiter.usage(k);
    expect(usage.map((u) => u.used)).toEqual([900, 200]);
    await expect(limiter.reserve(k, { model: 'gpt-5.1-codex', estimatedInputTokens: 60 })).rejects.toMatchObject({
      code: 'usage_limit_exceeded',
    });
    const ok = await limiter.reserve(k, { model: 'gpt-5', estimatedInputTokens: 100 });
    await ok.settle({ inputTokens: 40, outputTokens: 5 });
    expect((await limiter.usage(k)).map((u) => u.used)).toEqual([940, 200]);
    expect(calls.baseline).toHaveBeenCalledTimes(1);
  });

  it('charges the estimate for unknown usage and nothing on release, each only once', async () => {
    const { recorder, recorded } = recorderWith([]);
    const limiter = new ApiKeyLimiter(new MemoryLimitCounterStore(), recorder);
    const k = key([{ kind: 'total_tokens', window: 'minute', max: 1000, model: null }]);
    const a = await limiter.reserve(k, { model: 'gpt-5', estimatedInputTokens: 300, estimatedOutputTokens: 100 });
    await a.settle(null);
    await a.settle({ inputTokens: 1, outputTokens: 1 });
    await a.release();
    const b = await limiter.reserve(k, { model: 'gpt-5', estimatedInputTokens: 500 });
    expect((await limiter.usage(k))[0].used).toBe(900);
    await b.release();
    await b.settle({ inputTokens: 500, outputTokens: 0 });
    expect((await limiter.usage(k))[0]).toMatchObject({ used: 400, remaining: 600 });
    expect(recorded).toHaveLength(1);
  });

  it('refuses a model without a price when a cost limit applies', async () => {
    const { recorder } = recorderWith([]);
    const limiter = new ApiKeyLimiter(new MemoryLimitCounterStore(), recorder);
    const k = key([{ kind: 'cost_usd', window: 'monthly', max: 5, model: null }]);
    await expect(limiter.reserve(k, { model: 'mystery-model' })).rejects.toMatchObject({ code: 'model_not_priced' });
    const r = await limiter.reserve(k, { model: 'gpt-5', estimatedInputTokens: 1_000_000 });
    await r.settle({ inputTokens: 1_000_000, cachedInputTokens: 0, outputTokens: 100_000 });
    expect((await limiter.usage(k))[0].used).toBeCloseTo(2.25, 6);
  });
});
