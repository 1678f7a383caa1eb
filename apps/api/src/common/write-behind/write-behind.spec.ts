import { isRowError, WriteBehind, type DeadLetter, type WriteBehindOptions } from './write-behind';

interface Row {
  id: number;
  bad?: boolean;
  n?: number;
}

const refused = () => Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

function setup(options: Partial<WriteBehindOptions<Row>> = {}) {
  const written: Row[] = [];
  const calls: number[] = [];
  const letters: DeadLetter[] = [];
  const logs: string[] = [];
  const state = { down: false, lettersDown: false, now: 0 };
  const buffer = new WriteBehind<Row>({
    name: 'test',
    batchSize: 8,
    maxAttempts: 3,
    retryDelayMs: (attempts) => attempts * 1000,
    now: () => state.now,
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    deadLetters: {
      store: async (l) => {
        if (state.lettersDown) throw unreachable();
        letters.push(...l);
      },
    },
    write: async (rows) => {
      calls.push(rows.length);
      if (state.down) throw unreachable();
      if (rows.some((r) => r.bad)) throw refused();
      written.push(...rows.map((r) => ({ ...r })));
    },
    ...options,
  });
  return { buffer, written, calls, letters, logs, state };
}

const rows = (from: number, count: number, bad: number[] = []): Row[] =>
  Array.from({ length: count }, (_, i) => ({ id: from + i, ...(bad.includes(from + i) ? { bad: true } : {}) }));

describe('WriteBehind', () => {
  it('writes in batches, with no I/O until a flush', async () => {
    const { buffer, written, calls } = setup();
    for (const row of rows(0, 7)) buffer.add(row);
    expect(calls).toEqual([]);
    for (const row of rows(7, 13)) buffer.add(row);
    await buffer.flush();
    expect(written.map((r) => r.id)).toEqual(rows(0, 20).map((r) => r.id));
    expect(buffer.size).toBe(0);
  });

  it('isolates refused rows: every other row of the batch is written at once', async () => {
    const { buffer, written, calls, state } = setup();
    for (const row of rows(0, 8, [3, 6])) buffer.add(row);
    state.down = false;
    await buffer.flush();
    expect(written.map((r) => r.id).sort((a, b) => a - b)).toEqual([0, 1, 2, 4, 5, 7]);
    expect(buffer.size).toBe(2);
    expect(buffer.stats()).toMatchObject({ pending: 2, retrying: 2, deadLettered: 0 });
    // Halving: far fewer statements than one per row would take for a large batch, and bounded.
    expect(calls.length).toBeLessThanOrEqual(1 + 2 * 2 * Math.log2(8));
  });

  it('retries a refused row alone after its delay, a bounded number of times, then dead-letters it', async () => {
    const { buffer, letters, calls, state, logs } = setup();
    buffer.add({ id: 1, bad: true });
    await buffer.flush(); // attempt 1
    expect(buffer.stats().retrying).toBe(1);
    calls.length = 0;
    await buffer.flush(); // not due yet
    expect(calls).toEqual([]);
    state.now += 1000;
    await buffer.flush(); // attempt 2
    expect(calls).toEqual([1]);
    state.now += 1999;
    await buffer.flush();
    expect(calls).toEqual([1]);
    state.now += 1;
    await buffer.flush(); // attempt 3: given up
    expect(buffer.size).toBe(0);
    expect(letters).toEqual([
      expect.objectContaining({ writer: 'test', payload: { id: 1, bad: true }, attempts: 3, error: refused().message }),
    ]);
    expect(buffer.stats()).toMatchObject({ pending: 0, retrying: 0, deadLettered: 1 });
    expect(logs.some((m) => m.includes('dead-letter'))).toBe(true);
  });

  it('keeps every row without counting attempts while the database is unreachable', async () => {
    const { buffer, written, letters, state } = setup();
    for (const row of rows(0, 20)) buffer.add(row);
    state.down = true;
    for (let i = 0; i < 10; i++) {
      await buffer.flush();
      state.now += 60_000;
    }
    expect(buffer.stats()).toMatchObject({ pending: 20, retrying: 0, deadLettered: 0 });
    expect(buffer.stats().lastError).toContain('ECONNREFUSED');
    state.down = false;
    await buffer.flush();
    expect(written).toHaveLength(20);
    expect(letters).toHaveLength(0);
    expect(buffer.stats().lastError).toBeNull();
  });

  it('keeps dead letters in memory until the table takes them', async () => {
    const { buffer, letters, state } = setup({ maxAttempts: 1 });
    buffer.add({ id: 1, bad: true });
    state.lettersDown = true;
    await buffer.flush();
    expect(letters).toHaveLength(0);
    expect(buffer.stats()).toMatchObject({ pending: 1, deadLettered: 1 });
    state.lettersDown = false;
    await buffer.flush();
    expect(letters).toHaveLength(1);
    expect(buffer.stats().pending).toBe(0);
  });

  it('drainAll retries refused rows at once and dead-letters them, writing the rest', async () => {
    const { buffer, written, letters } = setup();
    for (const row of rows(0, 5, [2])) buffer.add(row);
    await buffer.drainAll();
    expect(written).toHaveLength(4);
    expect(letters.map((l) => (l.payload as Row).id)).toEqual([2]);
    expect(buffer.size).toBe(0);
  });

  it('is bounded: past maxBuffered the oldest rows are dropped, counted and logged', async () => {
    const { buffer, written, logs, state } = setup({ maxBuffered: 10 });
    state.down = true;
    for (const row of rows(0, 25)) buffer.add(row);
    expect(buffer.size).toBe(10);
    expect(buffer.stats().dropped).toBe(15);
    state.down = false;
    await buffer.flush();
    expect(written.map((r) => r.id)).toEqual(rows(15, 10).map((r) => r.id));
    expect(logs.some((m) => m.includes('dropped the 15 oldest rows'))).toBe(true);
  });

  it('merges rows with the same key while they wait, never into a row being written', async () => {
    let release!: () => void;
    let entered!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writing = new Promise<void>((resolve) => (entered = resolve));
    const batches: Row[][] = [];
    const { buffer } = setup({
      key: (r) => String(r.id),
      merge: (into, r) => void (into.n = (into.n ?? 0) + (r.n ?? 0)),
      write: async (batch) => {
        batches.push(batch.map((r) => ({ ...r })));
        if (batches.length === 1) {
          entered();
          await gate;
        }
      },
    });
    buffer.add({ id: 1, n: 1 });
    buffer.add({ id: 1, n: 2 });
    buffer.add({ id: 2, n: 5 });
    expect(buffer.size).toBe(2);
    const first = buffer.flush();
    await writing;
    buffer.add({ id: 1, n: 10 }); // the first row is being written: a new row
    release();
    await first;
    await buffer.flush();
    expect(batches).toEqual([
      [
        { id: 1, n: 3 },
        { id: 2, n: 5 },
      ],
      [{ id: 1, n: 10 }],
    ]);
  });

  it('tells row errors from database errors', () => {
    expect(isRowError(refused())).toBe(true);
    expect(isRowError({ code: '23514' })).toBe(true);
    expect(isRowError({ driverError: { code: '22P05' } })).toBe(true);
    expect(isRowError(new TypeError('Invalid time value'))).toBe(true);
    expect(isRowError(unreachable())).toBe(false);
    expect(isRowError({ code: '57P01', message: 'terminating connection due to administrator command' })).toBe(false);
    expect(isRowError({ code: '55000', message: 'database "x" is not currently accepting connections' })).toBe(false);
    expect(isRowError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isRowError({ code: '57014', message: 'canceling statement due to statement timeout' })).toBe(false);
  });
});
