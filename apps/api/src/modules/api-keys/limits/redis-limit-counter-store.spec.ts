// The Redis counter store against a real Redis (TEST_REDIS_URL, default 127.0.0.1:6379, its own
// database index): the same rules as the in-memory store, and two stores (two replicas) sharing
// one count.
import Redis from 'ioredis';
import type { CounterClaim } from './limit-counter-store';
import { RedisLimitCounterStore } from './redis-limit-counter-store';

const REDIS_DB = 13;

describe('RedisLimitCounterStore', () => {
  let redis: Redis;
  let other: Redis;
  const now = Date.now();
  const claim = (counter: string, amount: number, max: number): CounterClaim => ({
    counter,
    amount,
    max,
    expiresAt: now + 60_000,
  });

  beforeAll(async () => {
    const url = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    url.pathname = `/${REDIS_DB}`;
    redis = new Redis(url.toString(), { keyPrefix: 'codex-lb:' });
    other = new Redis(url.toString(), { keyPrefix: 'codex-lb:' });
    await redis.flushdb();
  });

  afterAll(async () => {
    await redis.flushdb();
    redis.disconnect();
    other.disconnect();
  });

  it('admits exactly max concurrent reservations across two stores', async () => {
    const stores = [new RedisLimitCounterStore(redis), new RedisLimitCounterStore(other)];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => stores[i % 2].reserve(`a${i}`, [claim('rpm', 1, 7)], now + 5_000)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(7);
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, index: 0, used: 7 });
    // Their leases end: the sweeper of either store gives all seven back.
    expect(await stores[1].sweep(now + 5_000)).toBe(7);
    expect(await stores[0].read(['rpm'])).toEqual([{ committed: 0, reserved: 0 }]);
  });

  it('reserves all claims or none', async () => {
    const store = new RedisLimitCounterStore(redis);
    await store.seed('tokens', 90, now + 60_000);
    const result = await store.reserve('b1', [claim('rpm-b', 1, 10), claim('tokens', 20, 100)], now + 5_000);
    expect(result).toEqual({ ok: false, index: 1, used: 90 });
    expect(await store.read(['rpm-b', 'tokens'])).toEqual([
      { committed: 0, reserved: 0 },
      { committed: 90, reserved: 0 },
    ]);
  });

  it('settles and releases exactly once, and reclaims stale reservations', async () => {
    const store = new RedisLimitCounterStore(redis);
    await store.reserve('c1', [claim('t', 50, 100)], now + 5_000);
    expect(await store.settle('c1', new Map([['t', 30]]))).toBe(true);
    expect(await store.release('c1')).toBe(false);
    expect(await store.read(['t'])).toEqual([{ committed: 30, reserved: 0 }]);

    await store.reserve('c2', [claim('t', 60, 100)], now + 5_000);
    expect((await store.reserve('c3', [claim('t', 20, 100)], now + 5_000)).ok).toBe(false);
    expect(await store.sweep(now + 5_000)).toBe(1);
    expect(await store.read(['t'])).toEqual([{ committed: 30, reserved: 0 }]);
    // A late settle after the reclaim still counts what was really spent.
    expect(await store.settle('c2', new Map([['t', 10]]))).toBe(false);
    expect(await store.read(['t'])).toEqual([{ committed: 40, reserved: 0 }]);
  });

  it('counts fractional cost amounts and seeds only absent counters', async () => {
    const store = new RedisLimitCounterStore(redis);
    await store.seed('usd', 0.25, now + 60_000);
    await store.seed('usd', 99, now + 60_000);
    await store.reserve('d1', [claim('usd', 0.125, 1)], now + 5_000);
    expect(await store.read(['usd'])).toEqual([{ committed: 0.25, reserved: 0.125 }]);
    await store.settle('d1', new Map([['usd', 0.0625]]));
    expect(await store.read(['usd'])).toEqual([{ committed: 0.3125, reserved: 0 }]);
    expect(await store.has('usd')).toBe(true);
    expect(await store.has('never-seen')).toBe(false);
  });
});
