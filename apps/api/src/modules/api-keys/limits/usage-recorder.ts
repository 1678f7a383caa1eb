// Persists settled usage per key, window and model (api_key_usage), so token and cost counters
// survive a restart: a counter is seeded from these rows the first time it is needed. Writes are
// summed in memory and upserted in one statement every few seconds and at shutdown.
//
// A seed reads the table and the not-yet-written sums together; both that read and a flush hold
// the same lock, so a flush in progress can neither be missed nor counted twice.
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ApiKeyLimitWindow } from '@codex-lb/shared';
import { ApiKeysRepository, type UsageRow } from '../api-keys.repository';
import { PERSISTED_WINDOWS, windowBounds } from './windows';

const FLUSH_MS = 3_000;

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
export class KeyUsageRecorder implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ApiKeyUsage');
  private pending = new Map<string, UsageRow>();
  /** Per key and model, the pending rows of the windows that contain the last request. */
  private readonly slots = new Map<string, Map<string, Slot>>();
  private lock: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;

  constructor(private readonly keys: ApiKeysRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  /** Adds one settled request to every persisted window containing `at`. */
  record(apiKeyId: string, model: string, at: number, amounts: UsageAmounts): void {
    // The rows of a key and model stay the same until the shortest window ends or a flush takes
    // the batch: found once, then reused by every request until then.
    let byModel = this.slots.get(apiKeyId);
    if (!byModel) this.slots.set(apiKeyId, (byModel = new Map()));
    let slot = byModel.get(model);
    if (!slot || slot.batch !== this.pending || at < slot.from || at >= slot.until) {
      slot = this.slot(apiKeyId, model, at);
      byModel.set(model, slot);
    }
    for (const row of slot.rows) add(row, amounts);
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

  flush(): Promise<void> {
    return this.exclusive(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      this.slots.clear();
      try {
        await this.keys.addUsage([...batch.values()]);
      } catch (error) {
        // Merge the batch back: nothing settled is dropped while the database is away.
        for (const [id, row] of batch) {
          const current = this.pending.get(id);
          if (current) add(current, row);
          else this.pending.set(id, row);
        }
        this.logger.warn(`Could not record API key usage, will retry: ${(error as Error).message}`);
      }
    });
  }

  /** Settled usage (written or pending) of these keys in these windows. */
  baseline(keyIds: string[], windows: { window: ApiKeyLimitWindow; start: number }[]): Promise<UsageRow[]> {
    return this.exclusive(async () => {
      const rows = await this.keys.loadUsage(keyIds, windows);
      const wanted = new Set(keyIds);
      const starts = new Set(windows.map((w) => `${w.window}|${w.start}`));
      for (const row of this.pending.values()) {
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

function add(target: UsageAmounts, amounts: UsageAmounts): void {
  target.requests += amounts.requests;
  target.inputTokens += amounts.inputTokens;
  target.outputTokens += amounts.outputTokens;
  target.totalTokens += amounts.totalTokens;
  target.costUsd += amounts.costUsd;
}
