// Polls wham/usage for every account that can serve, on a jittered interval, so quota bars and
// account choice stay current even for idle accounts. A failed poll changes no status by itself;
// only a permanent refresh failure does (through the token service).
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SETTINGS, type Settings } from '../../config/settings';
import { JobLeases } from '../redis/job-lease';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';

const JOB = 'quota-poll';
const POLLABLE = new Set(['active', 'rate_limited', 'quota_exceeded']);

@Injectable()
export class QuotaPollerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('QuotaPoller');
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  constructor(
    private readonly accounts: AccountsRepository,
    private readonly service: AccountsService,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly leases: JobLeases,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.usagePollIntervalSeconds <= 0) return;
    // With several replicas one of them polls (the holder of the job's lease); its results reach
    // the others as account changes.
    this.leases.compete(JOB);
    this.schedule(5_000);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  /** Polls every pollable account once; returns how many succeeded. */
  async pollAll(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let ok = 0;
    try {
      for (const account of await this.accounts.listAllUnscoped()) {
        if (this.stopped) break;
        if (!POLLABLE.has(account.status)) continue;
        try {
          await this.service.pollQuota(account.id);
          ok++;
        } catch (error) {
          this.logger.warn(`Usage poll for account ${account.id} failed: ${(error as Error).message}`);
        }
      }
    } finally {
      this.running = false;
    }
    return ok;
  }

  private async tick(): Promise<void> {
    if (this.leases.holds(JOB))
      await this.pollAll().catch((error) => this.logger.error(`Usage polling failed: ${(error as Error).message}`));
    const base = this.settings.usagePollIntervalSeconds * 1000;
    this.schedule(base * (0.8 + Math.random() * 0.4));
  }
}
