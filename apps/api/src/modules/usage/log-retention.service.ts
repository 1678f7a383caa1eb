// Deletes request logs older than CODEX_LB_LOG_RETENTION_DAYS (0 keeps them forever), hourly, in
// small batches so the purge never holds long locks or bloats one transaction. Rollups are not
// touched: they are the long-term record, so reports over old ranges stay the same.
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SETTINGS, type Settings } from '../../config/settings';
import { JobLeases } from '../redis/job-lease';
import { RequestLogsRepository } from './request-logs.repository';
import { DAY_MS, HOUR_MS } from './time-range';

export const PURGE_BATCH = 5000;
const JOB = 'log-retention';

@Injectable()
export class LogRetentionService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('LogRetention');
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running: Promise<number> | null = null;

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly logs: RequestLogsRepository,
    private readonly leases: JobLeases,
  ) {}

  onModuleInit(): void {
    if (this.settings.logRetentionDays <= 0) return;
    // With several replicas one of them purges (the holder of the job's lease).
    this.leases.compete(JOB);
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        const pass = this.leases.holds(JOB) ? this.purge() : Promise.resolve(0);
        void pass.finally(() => !this.stopped && schedule(HOUR_MS));
      }, delay);
      this.timer.unref();
    };
    schedule(this.settings.logRetentionFirstRunMs);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass; returns how many logs were deleted. Overlapping calls share the running pass. */
  purge(now = new Date()): Promise<number> {
    if (this.settings.logRetentionDays <= 0) return Promise.resolve(0);
    this.running ??= this.run(new Date(now.getTime() - this.settings.logRetentionDays * DAY_MS)).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(cutoff: Date): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const deleted = await this.logs.purgeBatch(cutoff, PURGE_BATCH);
        total += deleted;
        if (deleted < PURGE_BATCH || this.stopped) break;
      }
      // Every pass says so (hourly), so an operator of several replicas sees which one ran it.
      this.logger.log(`Retention pass: deleted ${total} request logs older than ${cutoff.toISOString()}`);
    } catch (error) {
      this.logger.error('purging old request logs failed', error instanceof Error ? error.stack : String(error));
    }
    return total;
  }
}
