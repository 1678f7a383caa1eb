import { IdleMemory } from './idle-memory';

describe('IdleMemory', () => {
  const options = { idleMs: 1000, minRequests: 100, minIntervalMs: 30_000 };

  function setup() {
    let now = 0;
    const exchanges = { started: 0, inFlight: 0 };
    const collected: number[] = [];
    const idle = new IdleMemory(
      () => exchanges,
      options,
      () => collected.push(now),
      () => now,
    );
    return {
      idle,
      exchanges,
      collected,
      at: (ms: number) => {
        now = ms;
        return idle.check();
      },
    };
  }

  it('collects once the gateway has been idle for idleMs after a burst, and not again without another', () => {
    const { idle, exchanges, collected, at } = setup();
    idle.requests = 150;
    exchanges.started = 150;
    expect(at(31_000)).toBe(false); // activity seen now
    expect(at(31_500)).toBe(false); // idle for 0.5 s only
    expect(at(32_000)).toBe(true);
    expect(collected).toEqual([32_000]);
    expect(at(100_000)).toBe(false); // no new burst
  });

  it('waits while requests arrive or are in flight, and for the interval since the last collection', () => {
    const { idle, exchanges, collected, at } = setup();
    idle.requests = 200;
    at(40_000);
    exchanges.inFlight = 1;
    expect(at(45_000)).toBe(false);
    exchanges.inFlight = 0;
    expect(at(45_500)).toBe(true);
    // A second burst soon after: not before 30 s since the first collection.
    idle.requests += 500;
    at(46_000);
    expect(at(50_000)).toBe(false);
    // WebSocket turns keep it busy without new HTTP requests.
    exchanges.started += 1;
    expect(at(75_800)).toBe(false);
    expect(at(76_000)).toBe(false);
    expect(at(76_800)).toBe(true);
    expect(collected.length).toBe(2);
  });

  it('collects at most once per minRequests on a gateway with little traffic', () => {
    const { idle, collected, at } = setup();
    for (let t = 0; t < 600_000; t += 5000) {
      idle.requests += 1;
      at(t);
      at(t + 2000);
    }
    // 120 requests, one every 5 s: one collection, once the 100th was 2 s old.
    expect(collected).toEqual([497_000]);
  });

  it("really collects: a burst's garbage is gone once it ran", async () => {
    let garbage: { text: string; n: number[] }[] | null = [];
    for (let i = 0; i < 300_000; i++) garbage.push({ text: `x${i}`.repeat(20), n: [i, i + 1] });
    garbage = null;
    const before = process.memoryUsage().heapUsed;
    const idle = new IdleMemory(() => ({ started: 0, inFlight: 0 }), { idleMs: 0, minRequests: 1, minIntervalMs: 0 });
    idle.requests = 1;
    idle.check();
    expect(idle.check()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(before - process.memoryUsage().heapUsed).toBeGreaterThan(30 * 1024 * 1024);
  });
});
