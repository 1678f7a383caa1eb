import { bodyBuffersFree, giveBackBodyBuffer, MAX_FREE_BYTES, takeBodyBuffer } from './body-buffers';

describe('body buffers', () => {
  /** Takes back whatever earlier tests left free, so each test starts from an empty pool. */
  function drain(): void {
    for (const kb of [16, 32, 64, 128, 256, 512, 1024]) {
      for (;;) {
        const before = bodyBuffersFree().bytes;
        takeBodyBuffer(kb * 1024);
        if (bodyBuffersFree().bytes === before) break;
      }
    }
    expect(bodyBuffersFree()).toEqual({ buffers: 0, bytes: 0 });
  }

  beforeEach(drain);

  it('hands out exactly the size asked for, and reuses a buffer given back', () => {
    const first = takeBodyBuffer(40_000);
    expect(first.length).toBe(40_000);
    first.fill(1);
    giveBackBodyBuffer(first);
    expect(bodyBuffersFree()).toEqual({ buffers: 1, bytes: 64 * 1024 });
    const second = takeBodyBuffer(50_000);
    expect(second.length).toBe(50_000);
    expect(second.buffer).toBe(first.buffer);
    expect(bodyBuffersFree()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('never hands the same buffer to two holders', () => {
    const held = Array.from({ length: 20 }, () => takeBodyBuffer(30_000));
    expect(new Set(held.map((b) => b.buffer)).size).toBe(20);
    for (const b of held) giveBackBodyBuffer(b);
    const again = Array.from({ length: 20 }, () => takeBodyBuffer(30_000));
    expect(new Set(again.map((b) => b.buffer)).size).toBe(20);
  });

  it('ignores a second give-back, a view that does not start the buffer, and buffers it did not hand out', () => {
    const body = takeBodyBuffer(20_000);
    giveBackBodyBuffer(body);
    giveBackBodyBuffer(body);
    expect(bodyBuffersFree().buffers).toBe(1);
    const held = takeBodyBuffer(20_000);
    giveBackBodyBuffer(held.subarray(10));
    giveBackBodyBuffer(Buffer.alloc(20_000));
    giveBackBodyBuffer('{"model":"x"}');
    giveBackBodyBuffer(null);
    expect(bodyBuffersFree().buffers).toBe(0);
    // The first holder could still give it back, once.
    giveBackBodyBuffer(held);
    expect(bodyBuffersFree().buffers).toBe(1);
  });

  it('gives a body over 1 MB a buffer of its own, never kept', () => {
    const big = takeBodyBuffer(3 * 1024 * 1024);
    expect(big.length).toBe(3 * 1024 * 1024);
    giveBackBodyBuffer(big);
    expect(bodyBuffersFree()).toEqual({ buffers: 0, bytes: 0 });
  });

  it(`keeps at most ${MAX_FREE_BYTES / 1024 / 1024} MB of buffers for reuse`, () => {
    const held = Array.from({ length: 40 }, () => takeBodyBuffer(1024 * 1024));
    for (const b of held) giveBackBodyBuffer(b);
    expect(bodyBuffersFree()).toEqual({ buffers: MAX_FREE_BYTES / (1024 * 1024), bytes: MAX_FREE_BYTES });
  });
});
