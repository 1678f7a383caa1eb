// Persists settled usage per key, window and model (api_key_usage), so token and cost counters
// survive a restart: a counter is seeded from these rows the first time it is needed. Writes are
// summed in memory and handed every few seconds (and at shutdown) to the shared write-behind
// buffer, which upserts them in one statement, merges rows of the same key, window and model
// while they wait (an outage costs one row per key, window and model), isolates a row the
// database refuses so every other key is still metered, and dead-letters it after its retries.
// The model is cleaned on the way in (no NUL or lone surrogate, at most the column's 128).
//
// A seed reads the table and the not-yet-written sums together; both that read and a flush hold
// the same lock, so a flush in progress can neither be missed nor counted twice. (A dead-lettered
// row is no longer counted by a later seed: the operator sees it in health and in the table.)
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ApiKeyLimitWindow } from '@codex-lb/shared';
import { storableText } from '../../../common/write-behind/storable-text';
import type { WriteBehind, WriterSource, WriterStats } from '../../../common/write-behind/write-behind';
import { WriteBehindRegistry } from '../../../common/write-behind/write-behind.registry';
import { ApiKeysRepository, type UsageRow } from '../api-keys.repository';
import { PERSISTED_WINDOWS, windowBounds } from './windows';

const FLUSH_MS = 3_000;
/** api_key_usage.model is varchar(128). */
const MODEL_MAX = 128;

export interface UsageAmounts {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
}

interface Slot {
  /** The pending map the rows belong to (a flush starts a new one). */
  batch: Map<string, UsageRow>;
  from: number;
  until: number;
  rows: UsageRow[];
}

@Injectable()
export class KeyUsageRecorder implements OnModuleInit, OnModuleDestroy, WriterSource {
  readonly name = 'keyUsage';
  private pending = new Map<string, UsageRow>();
  /** Per key and model, the pending rows of the windows that contain the last request. */
  private readonly slots = new Map<string, Map<string, Slot>>();
  private lock: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private readonly buffer: WriteBehind<UsageRow>;

  constructor(
    private readonly keys: ApiKeysRepository,
    writers: WriteBehindRegistry,
  ) {
    // The recorder takes the buffer's place in the registry, so health counts the rows it is
    // still summing, and every write (a drain too) happens under the lock a seed takes.
    this.buffer = writers.create<UsageRow>({
      name: 'keyUsage',
      write: (rows) => this.keys.addUsage(rows),
      key: rowKey,
      merge: add,
      autoFlush: false,
    });
    writers.register(this);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.drainAll();
  }

  /** Adds one settled request to every persisted window containing `at`. */
  record(apiKeyId: string, rawModel: string, at: number, amounts: UsageAmounts): void {
    const model = storableText(rawModel, MODEL_MAX);
    // The rows of a key and model stay the same until the shortest window ends or a flush takes
    // the batch: found once, then reused by every request until then.
    let byModel = this.slots.get(apiKeyId);
    if (!byModel) this.slots.set(apiKeyId, (byModel = new Map()));
    let slot = byModel.get(model);
    if (!slot || slot.batch !== this.pending || at < slot.from || at >= slot.until) {
      slot = this.slot(apiKeyId, model, at);
      byModel.set(model, slot);
    }
    const clean = finiteAmounts(amounts);
    for (const row of slot.rows) add(row, clean);
  }

  private slot(apiKeyId: string, model: string, at: number): Slot {
    const rows: UsageRow[] = [];
    let from = -Infinity;
    let until = Infinity;
    for (const window of PERSISTED_WINDOWS) {
      const bounds = windowBounds(window, at);
      from = Math.max(from, bounds.start);
      until = Math.min(until, bounds.end);
      const id = `${apiKeyId}|${window}|${bounds.start}|${model}`;
      let row = this.pending.get(id);
      if (!row) {
        row = { apiKeyId, window, windowStart: bounds.start, model, ...zero() };
        this.pending.set(id, row);
      }
      rows.push(row);
    }
    return { batch: this.pending, from, until, rows };
  }

  /** Hands the summed rows to the buffer and writes what is due. Never rejects. */
  flush(): Promise<void> {
    return this.exclusive(async () => {
      this.handOver();
      await this.buffer.flush();
    });
  }

  /** Writes everything now, refused rows through to the dead-letter table (shutdown). */
  drainAll(): Promise<void> {
    return this.exclusive(async () => {
      this.handOver();
      await this.buffer.drainAll();
    });
  }

  stats(): WriterStats {
    const stats = this.buffer.stats();
    return { ...stats, pending: stats.pending + this.pending.size };
  }

  private handOver(): void {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.slots.clear();
    for (const row of batch.values()) this.buffer.add(row);
  }

  /** Settled usage (written or pending) of these keys in these windows. */
  baseline(keyIds: string[], windows: { window: ApiKeyLimitWindow; start: number }[]): Promise<UsageRow[]> {
    return this.exclusive(async () => {
      const rows = await this.keys.loadUsage(keyIds, windows);
      const wanted = new Set(keyIds);
      const starts = new Set(windows.map((w) => `${w.window}|${w.start}`));
      for (const row of [...this.buffer.pendingRows(), ...this.pending.values()]) {
        if (wanted.has(row.apiKeyId) && starts.has(`${row.window}|${row.windowStart}`)) rows.push({ ...row });
      }
      return rows;
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

function zero(): UsageAmounts {
  return { requests: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: 0 };
}

function rowKey(row: UsageRow): string {
  return `${row.apiKeyId}|${row.window}|${row.windowStart}|${row.model}`;
}

/** NaN or a negative amount would poison the summed row for good; it counts as nothing. */
function finiteAmounts(amounts: UsageAmounts): UsageAmounts {
  const ok = (n: number) => Number.isFinite(n) && n >= 0;
  if (
    ok(amounts.requests) &&
    ok(amounts.inputTokens) &&
    ok(amounts.outputTokens) &&
    ok(amounts.totalTokens) &&
    ok(amounts.costUsd)
  ) {
    return amounts;
  }
  const clean = (n: number) => (ok(n) ? n : 0);
  return {
    requests: clean(amounts.requests),
    inputTokens: clean(amounts.inputTokens),
    outputTokens: clean(amounts.outputTokens),
    totalTokens: clean(amounts.totalTokens),
    costUsd: clean(amounts.costUsd),
  };
}

function add(target: UsageAmounts, amounts: UsageAmounts): void {
  target.requests += amounts.requests;
  target.inputTokens += amounts.inputTokens;
  target.outputTokens += amounts.outputTokens;
  target.totalTokens += amounts.totalTokens;
  target.costUsd += amounts.costUsd;
}
