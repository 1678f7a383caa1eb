// Buffers request logs in memory and writes them in batches, off the proxy's request path.
// record() is O(1) and never touches the database; a timer (every second) or a full batch (500)
// triggers a flush; shutdown flushes what is left. A failed batch stays at the head of the
// buffer and is retried on the next tick; the buffer is bounded so an unreachable database
// costs memory up to a cap, never an unbounded leak, and never an error thrown at the proxy.
import {
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { RequestLogsRepository } from './request-logs.repository';
import { sanitizeEntry, type RequestLogEntry } from './request-log.types';

export type { RequestLogEntry } from './request-log.types';

export const FLUSH_INTERVAL_MS = 1000;
export const BATCH_SIZE = 500;
/** About 100 MB of entries at worst; past this the oldest are dropped (and counted in the log). */
export const MAX_BUFFERED = 200_000;
/** After this many failures in a row a batch is written row by row to isolate a bad entry. */
const ISOLATE_AFTER_FAILURES = 3;

@Injectable()
export class RequestLogWriter implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('RequestLogWriter');
  private buffer: RequestLogEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private pending = false;
  private failures = 0;
  private dropped = 0;

  constructor(private readonly logs: RequestLogsRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** A second pass for entries recorded while other modules were shutting down. */
  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  record(entry: RequestLogEntry): void {
    const clean = sanitizeEntry(entry);
    if (!clean) {
      this.logger.warn(`dropped request log ${String(entry?.requestId)}: no valid owner id`);
      return;
    }
    this.buffer.push(clean);
    if (this.buffer.length > MAX_BUFFERED) {
      const excess = this.buffer.length - MAX_BUFFERED;
      this.buffer.splice(0, excess);
      this.dropped += excess;
    }
    if (this.buffer.length >= BATCH_SIZE && !this.pending) void this.flush();
  }

  /** Entries waiting to be written (for health reporting and tests). */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Writes everything buffered. Resolves (never rejects) once done or after a failed batch. */
  flush(): Promise<void> {
    if (this.pending) return this.chain;
    this.pending = true;
    this.chain = this.chain.then(async () => {
      this.pending = false;
      await this.drain();
    });
    return this.chain;
  }

  private async drain(): Promise<void> {
    if (this.dropped > 0) {
      this.logger.error(`dropped ${this.dropped} request logs: the buffer was full while the database was failing`);
      this.dropped = 0;
    }
    // Only what was buffered when the flush began: entries arriving meanwhile wait for the next
    // tick, so a steady trickle of requests becomes one batch a second, not a batch per request.
    let remaining = this.buffer.length;
    while (remaining > 0 && this.buffer.length > 0) {
      const batch = this.buffer.slice(0, Math.min(BATCH_SIZE, remaining));
      remaining -= batch.length;
      try {
        if (this.failures >= ISOLATE_AFTER_FAILURES && batch.length > 1) {
          await this.writeOneByOne(batch);
        } else {
          await this.logs.insertBatch(batch);
        }
        this.removeHead(batch);
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        this.logger.error(
          `writing ${batch.length} request logs failed (attempt ${this.failures}); will retry`,
          error instanceof Error ? error.message : String(error),
        );
        return;
      }
    }
  }

  /** Drops only entries the database rejects as invalid data; anything else is retried. */
  private async writeOneByOne(batch: RequestLogEntry[]): Promise<void> {
    for (const entry of batch) {
      try {
        await this.logs.insertBatch([entry]);
      } catch (error) {
        const code = String((error as { code?: unknown })?.code ?? '');
        if (!code.startsWith('22') && !code.startsWith('23')) throw error;
        this.logger.error(`dropped request log ${entry.requestId}: ${(error as Error).message}`);
      }
      this.removeHead([entry]);
    }
  }

  /** The head may have been trimmed by the cap while the write ran; remove only what is still there. */
  private removeHead(written: RequestLogEntry[]): void {
    let n = 0;
    while (n < written.length && this.buffer[n] === written[n]) n++;
    if (n > 0) this.buffer.splice(0, n);
  }
}
