import { constants, type PerformanceEntry } from 'node:perf_hooks';
import { CollectionPacer, exposedCollector } from './collection-pacer';

function gcEntry(kind: number): PerformanceEntry {
  return { entryType: 'gc', detail: { kind } } as unknown as PerformanceEntry;
}

/** A pacer on a hand-moved clock with a pace of 1 s, a busy switch and a collector that counts. */
function paced(busy = true) {
  const state = { t: 0, busy };
  const collect = jest.fn();
  const pacer = new CollectionPacer(
    () => state.busy,
    collect,
    () => state.t,
    1_000,
  );
  return { state, collect, pacer };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('CollectionPacer', () => {
  it('collects once the pace has passed without a full collection, only while requests are in flight', () => {
    const { state, collect, pacer } = paced();
    state.t = 999;
    expect(pacer.check()).toBe(false);
    state.t = 1_000;
    state.busy = false;
    expect(pacer.check()).toBe(false); // idle: V8's memory reducer is left to it
    state.busy = true;
    expect(pacer.check()).toBe(true);
    expect(collect).toHaveBeenCalledTimes(1);
    state.t = 1_999;
    expect(pacer.check()).toBe(false); // its own collection counts
    expect(collect).toHaveBeenCalledTimes(1);
    expect(pacer.ran).toBe(1);
  });

  it('counts a full collection V8 ran on its own, not a young one', () => {
    const { state, collect, pacer } = paced();
    state.t = 900;
    pacer.observed(gcEntry(constants.NODE_PERFORMANCE_GC_MINOR));
    pacer.observed(gcEntry(constants.NODE_PERFORMANCE_GC_INCREMENTAL));
    state.t = 1_000;
    expect(pacer.check()).toBe(true);
    state.t = 1_500;
    pacer.observed(gcEntry(constants.NODE_PERFORMANCE_GC_MAJOR));
    state.t = 2_400;
    expect(pacer.check()).toBe(false);
    state.t = 2_500;
    expect(pacer.check()).toBe(true);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('once due but idle, looks again shortly and collects as soon as a request is in flight', async () => {
    const { state, collect, pacer } = paced(false);
    pacer.start(60_000);
    try {
      state.t = 1_000;
      expect(pacer.check()).toBe(false);
      await sleep(250);
      expect(collect).not.toHaveBeenCalled(); // still idle: nothing
      state.busy = true;
      for (let i = 0; i < 50 && collect.mock.calls.length === 0; i++) await sleep(20);
      expect(collect).toHaveBeenCalledTimes(1);
    } finally {
      pacer.stop();
    }
  });

  it("sees the full collection this Node's exposed collector runs", async () => {
    const pacer = new CollectionPacer(
      () => false,
      () => undefined,
    );
    pacer.start(60_000);
    try {
      const before = pacer.lastFullAt;
      await sleep(20);
      exposedCollector()();
      // The observer's entries arrive after the collection, asynchronously.
      for (let i = 0; i < 50 && pacer.lastFullAt === before; i++) await sleep(10);
      expect(pacer.lastFullAt).toBeGreaterThan(before);
    } finally {
      pacer.stop();
    }
  });
});
