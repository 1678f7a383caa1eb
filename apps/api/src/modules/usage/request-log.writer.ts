// Buffers request logs in memory and writes them in batches, off the proxy's request path.
// record() is O(1) and never touches the database; a timer (every second) or a full batch (2,000)
// triggers a flush; shutdown flushes what is left (twice: once as the module stops, again after
// other modules have stopped, for rows recorded meanwhile). Entries are cleaned here, at the
// boundary; isolating a row the database still refuses, bounded retries, the dead-letter table
// and the memory bound are the shared write-behind buffer's (common/write-behind).
import {
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { WriteBehindRegistry } from '../../common/write-behind/write-behind.registry';
import type { WriteBehind } from '../../common/write-behind/write-behind';
import { RequestLogsRepository } from './request-logs.repository';
import { sanitizeEntry, type RequestLogEntry } from './request-log.types';

export type { RequestLogEntry } from './request-log.types';

export const FLUSH_INTERVAL_MS = 1000;
/**
 * Rows per insert. Each batch also costs a transaction and three rollup upserts; at 500 a busy
 * gateway (a few thousand requests a second) wrote a batch every ~0.2 s, and those per-batch
 * costs were a fifth of the log's Postgres time (bench/BASELINE.md).
 */
export const BATCH_SIZE = 2000;
/** About 50 MB of entries at worst; past this the oldest are dropped (counted, logged, in health). */
export const MAX_BUFFERED = 100_000;

@Injectable()
export class RequestLogWriter implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('RequestLogWriter');
  private readonly buffer: WriteBehind<RequestLogEntry>;

  constructor(logs: RequestLogsRepository, writers: WriteBehindRegistry) {
    this.buffer = writers.create<RequestLogEntry>({
      name: 'requestLogs',
      write: (rows) => logs.insertBatch(rows),
      batchSize: BATCH_SIZE,
      maxBuffered: MAX_BUFFERED,
    });
  }

  onModuleInit(): void {
    this.buffer.start(FLUSH_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.buffer.stop();
  }

  /** A second pass for entries recorded while other modules were shutting down. */
  async onApplicationShutdown(): Promise<void> {
    await this.buffer.drainAll();
  }

  record(entry: RequestLogEntry): void {
    const clean = sanitizeEntry(entry);
    if (!clean) {
      this.logger.warn(`dropped request log ${String(entry?.requestId)}: no valid owner id`);
      return;
    }
    this.buffer.add(clean);
  }

  /** Entries waiting to be written (for health reporting and tests). */
  get buffered(): number {
    return this.buffer.size;
  }

  /** Writes what is due. Resolves (never rejects) once done or after the database failed. */
  flush(): Promise<void> {
    return this.buffer.flush();
  }
}
