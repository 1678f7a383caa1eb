// The one write-behind buffer every background writer uses (request logs, key usage): rows are
// added in memory with no I/O and written in batches later, so the proxy never waits on the
// database. What it guarantees:
// - A batch the database refuses is split in halves until the refused rows stand alone; the
//   others are written at once. A refused row is retried on its own a bounded number of times,
//   with growing delays, then put into the dead-letter table with the error. Nothing is dropped
//   without a count and a log line.
// - An error that is not about the rows (the database is down, a connection was cut, a timeout)
//   keeps every row and costs no attempt: rows written during an outage are stored after it.
// - Memory is bounded: past `maxBuffered` rows the oldest are dropped, counted and logged (only
//   after a long outage; a dropped row could never be written anyway if the process died).
// - drainAll() writes everything now, retrying refused rows at once; shutdown calls it.
//
// The `write` function must be all or nothing (one statement or one transaction): splitting a
// batch relies on a failed write having stored none of it.

export interface DeadLetter {
  writer: string;
  payload: unknown;
  error: string;
  attempts: number;
  failedAt: Date;
}

export interface DeadLetterSink {
  store(letters: readonly DeadLetter[]): Promise<void>;
}

export interface WriterStats {
  /** Rows waiting to be written (including those waiting for a retry). */
  pending: number;
  /** Of those, rows the database refused at least once. */
  retrying: number;
  /** Rows given up on and put into the dead-letter table (or waiting to be) since start. */
  deadLettered: number;
  /** Rows dropped because the buffer was full, since start. */
  dropped: number;
  /** The last error a write met, if the last write failed. */
  lastError: string | null;
}

/** What the health report reads and what shutdown drains, whatever the writer's shape. */
export interface WriterSource {
  readonly name: string;
  stats(): WriterStats;
  drainAll(): Promise<void>;
}

export interface WriteLogger {
  warn(message: string): void;
  error(message: string): void;
}

export interface WriteBehindOptions<T> {
  /** Names the writer in logs, health and the dead-letter table. */
  name: string;
  /** Writes the rows all or nothing. */
  write(rows: T[]): Promise<unknown>;
  deadLetters: DeadLetterSink;
  logger: WriteLogger;
  batchSize?: number;
  maxBuffered?: number;
  /** Attempts a refused row gets before it is dead-lettered. */
  maxAttempts?: number;
  /** Delay before the next attempt after `attempts` refusals. */
  retryDelayMs?(attempts: number): number;
  /**
   * Rows with the same key are merged while they wait (summed counters), so a long outage costs
   * one row per key rather than one per flush. Without it every row is kept.
   */
  key?(row: T): string;
  merge?(into: T, row: T): void;
  /** Whether a full batch starts a flush (default true); off for a writer that flushes under its own lock. */
  autoFlush?: boolean;
  now?(): number;
}

export const DEFAULT_BATCH_SIZE = 500;
/** About 50 MB of request-log rows at worst; hours of traffic during an outage on a busy gateway. */
export const DEFAULT_MAX_BUFFERED = 100_000;
export const DEFAULT_MAX_ATTEMPTS = 5;
const MAX_ERROR_LENGTH = 2_000;

/** 1 s, 2 s, 4 s, ... up to a minute. */
export function defaultRetryDelayMs(attempts: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const NETWORK_MESSAGE =
  /connect|terminat|timeout|timed out|socket|pool|closed|not queryable|shutting down|database.*(down|unavailable)/i;

/**
 * Whether a failed write says something about its rows (true) or about the database (false).
 * Rows are at fault for data exceptions (SQLSTATE class 22: bad encoding, value too long,
 * overflow), integrity violations (23) and cardinality errors (21), and for errors thrown before
 * the database was reached (no code: a value that would not serialise). Anything else (no
 * connection, shutdown, lock or statement timeout, missing privilege) is retried as a whole
 * without counting against the rows.
 */
export function isRowError(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown }; message?: unknown } | null;
  const code = e?.driverError?.code ?? e?.code;
  if (typeof code === 'string' && code !== '') {
    if (/^[0-9A-Z]{5}$/.test(code)) return ['21', '22', '23'].includes(code.slice(0, 2));
    return !NETWORK_CODES.has(code) && !code.startsWith('E');
  }
  return !NETWORK_MESSAGE.test(String(e?.message ?? error));
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_ERROR_LENGTH ? text.slice(0, MAX_ERROR_LENGTH) : text;
}

interface Item<T> {
  row: T;
  key: string | null;
  attempts: number;
  retryAt: number;
  error: string;
  /** Written, dead-lettered or dropped: no longer pending (removed at the end of a pass). */
  done: boolean;
  /** Being written: a merge must start a new item instead of adding to this one. */
  busy: boolean;
}

/** Stops a pass when the database, not a row, is at fault. */
class DatabaseUnavailable {}

export class WriteBehind<T> implements WriterSource {
  readonly name: string;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly maxAttempts: number;
  private readonly now: () => number;
  private queue: Item<T>[] = [];
  private readonly byKey = new Map<string, Item<T>>();
  /** Pending, not done, items in `queue`. */
  private live = 0;
  private retrying = 0;
  /** Where the search for the oldest droppable item resumes (reset when the queue is compacted). */
  private dropFrom = 0;
  private letters: DeadLetter[] = [];
  private deadLettered = 0;
  private dropped = 0;
  private droppedUnreported = 0;
  private lastError: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  private running = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: WriteBehindOptions<T>) {
    this.name = options.name;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.now = options.now ?? Date.now;
  }

  /** Flushes every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes everything (shutdown). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.drainAll();
  }

  /** Buffers a row: no I/O. A full batch starts a flush. */
  add(row: T): void {
    const key = this.options.key ? this.options.key(row) : null;
    if (key !== null) {
      const waiting = this.byKey.get(key);
      if (waiting && !waiting.busy && !waiting.done) {
        this.options.merge!(waiting.row, row);
        return;
      }
    }
    const item: Item<T> = { row, key, attempts: 0, retryAt: 0, error: '', done: false, busy: false };
    this.queue.push(item);
    if (key !== null) this.byKey.set(key, item);
    this.live++;
    // Full: the database has been failing for a while, and the timer keeps retrying it.
    if (this.live > this.maxBuffered) this.dropOldest();
    else if (this.options.autoFlush !== false && this.live % this.batchSize === 0 && !this.running) void this.flush();
  }

  /** Rows waiting to be written, oldest first (a seed counts them as settled). */
  *pendingRows(): Iterable<T> {
    for (const item of this.queue) if (!item.done) yield item.row;
  }

  get size(): number {
    return this.live;
  }

  stats(): WriterStats {
    return {
      pending: this.live + this.letters.length,
      retrying: this.retrying,
      deadLettered: this.deadLettered,
      dropped: this.dropped,
      lastError: this.lastError,
    };
  }

  /**
   * Writes what is due: fresh rows in batches, refused rows whose delay has passed one at a time.
   * Resolves (never rejects) when done or when the database fails; calls made meanwhile share
   * the next pass.
   */
  flush(): Promise<void> {
    return this.schedule(false);
  }

  /** Writes everything now; refused rows use up their attempts at once and go to dead letters. */
  drainAll(): Promise<void> {
    return this.schedule(true);
  }

  private schedule(all: boolean): Promise<void> {
    if (this.queued && !all) return this.chain;
    this.queued = true;
    this.chain = this.chain.then(async () => {
      this.queued = false;
      this.running = true;
      try {
        await this.pass(all);
      } finally {
        this.running = false;
      }
    });
    return this.chain;
  }

  private async pass(all: boolean): Promise<void> {
    this.reportDropped();
    this.lastError = null;
    await this.storeLetters();
    try {
      // Only rows present when the pass began: rows added meanwhile wait for the next tick, so a
      // trickle of requests is one batch a second rather than one batch per request.
      const end = this.queue.length;
      let batch: Item<T>[] = [];
      for (let i = 0; i < end; i++) {
        const item = this.queue[i];
        if (item.done || item.attempts > 0) continue;
        batch.push(item);
        if (batch.length === this.batchSize) {
          await this.writeIsolating(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await this.writeIsolating(batch);
      // Refused rows alone, once their delay has passed (all of them, to the end, when draining).
      const now = this.now();
      for (let i = 0; i < end; i++) {
        const item = this.queue[i];
        if (item.done || item.attempts === 0 || (!all && item.retryAt > now)) continue;
        do await this.writeIsolating([item]);
        while (all && !item.done);
      }
    } catch (error) {
      if (!(error instanceof DatabaseUnavailable)) throw error;
      if (all && this.live > 0) {
        this.options.logger.error(
          `${this.name}: ${this.live} rows could not be written before shutdown: ${this.lastError ?? 'database unavailable'}`,
        );
      }
    } finally {
      this.compact();
    }
    await this.storeLetters();
  }

  /** Writes a batch; on a row error, halves it until the refused rows are alone. */
  private async writeIsolating(batch: Item<T>[]): Promise<void> {
    // Rows dropped by the bound while the batch waited are not written.
    const items = batch.filter((item) => !item.done);
    if (items.length === 0) return;
    for (const item of items) item.busy = true;
    let failure: unknown = null;
    try {
      await this.options.write(items.map((item) => item.row));
    } catch (error) {
      failure = error;
    } finally {
      for (const item of items) item.busy = false;
    }
    if (failure === null) {
      for (const item of items) this.finish(item);
      return;
    }
    this.lastError = describe(failure);
    if (!isRowError(failure)) {
      this.options.logger.warn(`${this.name}: writing ${items.length} rows failed, will retry: ${this.lastError}`);
      throw new DatabaseUnavailable();
    }
    if (items.length > 1) {
      const half = items.length >>> 1;
      await this.writeIsolating(items.slice(0, half));
      await this.writeIsolating(items.slice(half));
      return;
    }
    this.refused(items[0], this.lastError);
  }

  private refused(item: Item<T>, error: string): void {
    if (item.attempts === 0) this.retrying++;
    item.attempts++;
    item.error = error;
    if (item.attempts < this.maxAttempts) {
      item.retryAt = this.now() + (this.options.retryDelayMs ?? defaultRetryDelayMs)(item.attempts);
      this.options.logger.warn(`${this.name}: a row was refused (attempt ${item.attempts}), will retry: ${error}`);
      return;
    }
    this.finish(item);
    this.deadLettered++;
    this.letters.push({ writer: this.name, payload: item.row, error, attempts: item.attempts, failedAt: new Date() });
    this.options.logger.error(
      `${this.name}: a row was refused ${item.attempts} times and goes to the dead-letter table: ${error}`,
    );
  }

  private finish(item: Item<T>): void {
    if (item.done) return;
    item.done = true;
    this.live--;
    if (item.attempts > 0) this.retrying--;
    if (item.key !== null && this.byKey.get(item.key) === item) this.byKey.delete(item.key);
  }

  /**
   * Stores decided dead letters. If the database is away they are kept (bounded) for the next
   * pass; this never stops the rows themselves from being written.
   */
  private async storeLetters(): Promise<void> {
    if (this.letters.length === 0) return;
    const letters = this.letters;
    this.letters = [];
    try {
      await this.options.deadLetters.store(letters);
    } catch (error) {
      const message = describe(error);
      if (isRowError(error)) {
        // Not even the dead-letter table takes them: the log is the last record.
        for (const letter of letters) {
          this.options.logger.error(
            `${this.name}: a dead letter could not be stored (${message}); row: ${safeJson(letter.payload)}; error: ${letter.error}`,
          );
        }
        return;
      }
      this.options.logger.warn(`${this.name}: storing ${letters.length} dead letters failed, will retry: ${message}`);
      this.letters = letters.concat(this.letters);
      if (this.letters.length > this.maxBuffered) {
        const excess = this.letters.length - this.maxBuffered;
        this.letters.splice(0, excess);
        this.dropped += excess;
        this.droppedUnreported += excess;
      }
      this.lastError = message;
    }
  }

  private dropOldest(): void {
    let i = this.dropFrom;
    while (this.live > this.maxBuffered && i < this.queue.length) {
      const item = this.queue[i];
      if (!item.done && !item.busy) {
        this.finish(item);
        this.dropped++;
        this.droppedUnreported++;
      }
      i++;
    }
    this.dropFrom = i;
  }

  private reportDropped(): void {
    if (this.droppedUnreported === 0) return;
    this.options.logger.error(
      `${this.name}: dropped the ${this.droppedUnreported} oldest rows: the buffer was full while the database was failing`,
    );
    this.droppedUnreported = 0;
  }

  private compact(): void {
    if (this.queue.length !== this.live) this.queue = this.queue.filter((item) => !item.done);
    this.dropFrom = 0;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
