import { MemoryLimitCounterStore, type CounterClaim } from './limit-counter-store';

const claim = (counter: string, amount: number, max: number): CounterClaim => ({
  counter,
  amount,
  max,
  expiresAt: 10_000,
});

describe('MemoryLimitCounterStore', () => {
  it('admits exactly max concurrent reservations', async () => {
    const store = new MemoryLimitCounterStore();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.reserve(`r${i}`, [claim('rpm', 1, 7)], 5_000)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(7);
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, index: 0, used: 7 });
  });

  it('reserves all claims or none', async () => {
    const store = new MemoryLimitCounterStore();
    await store.seed('tokens', 90, 10_000);
    const result = await store.reserve('r1', [claim('rpm', 1, 10), claim('tokens', 20, 100)], 5_000);
    expect(result).toEqual({ ok: false, index: 1, used: 90 });
    expect(await store.read(['rpm', 'tokens'])).toEqual([
      { committed: 0, reserved: 0 },
      { committed: 90, reserved: 0 },
    ]);
  });

  it('settles and releases exactly once, and reclaims stale reservations', async () => {
    const store = new MemoryLimitCounterStore();
    await store.reserve('r1', [claim('t', 50, 100)], 5_000);
    expect(await store.settle('r1', new Map([['t', 30]]))).toBe(true);
    expect(await store.release('r1')).toBe(false);
    expect(await store.read(['t'])).toEqual([{ committed: 30, reserved: 0 }]);

    await store.reserve('r2', [claim('t', 60, 100)], 5_000);
    expect((await store.reserve('r3', [claim('t', 20, 100)], 5_000)).ok).toBe(false);
    expect(await store.sweep(5_000)).toBe(1);
    expect(await store.read(['t'])).toEqual([{ committed: 30, reserved: 0 }]);
    // A late settle after the reclaim still counts what was really spent.
    expect(await store.settle('r2', new Map([['t', 10]]))).toBe(false);
    expect(await store.read(['t'])).toEqual([{ committed: 40, reserved: 0 }]);
  });

  it('seeds only absent counters and drops finished windows', async () => {
    const store = new MemoryLimitCounterStore();
    await store.seed('t', 5, 1_000);
    await store.seed('t', 99, 1_000);
    expect(await store.read(['t'])).toEqual([{ committed: 5, reserved: 0 }]);
    await store.sweep(1_000);
    expect(await store.has('t')).toBe(false);
  });
});
