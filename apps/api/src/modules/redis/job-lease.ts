// Once-only background jobs (log retention, quota polling) with several replicas: each job has a
// lease in Redis that one replica holds and renews every third of its length. The holder runs the
// job's ticks; the others skip them. A holder that dies stops renewing, its lease ends, and the
// next replica to ask takes the job over. Without Redis every job runs here (one process).
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SETTINGS, type Settings } from '../../config/settings';
import { RedisLink } from './redis-link';

const LEASE = 'lease:';

// KEYS[1] lease; ARGV[1] token, ARGV[2] ms. Takes a free lease or renews our own.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

@Injectable()
export class JobLeases implements OnModuleDestroy {
  private readonly logger = new Logger('JobLeases');
  private readonly token = randomUUID();
  /** Job name -> when our lease ends (local clock, minus a margin). */
  private readonly held = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly leaseMs: number;

  constructor(
    private readonly link: RedisLink,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.leaseMs = settings.jobLeaseMs;
  }

  /** Starts competing for a job's lease (no-op without Redis: this process always runs it). */
  compete(job: string): void {
    if (!this.link.enabled || this.timers.has(job)) return;
    void this.renew(job);
    const timer = setInterval(() => void this.renew(job), Math.max(500, Math.floor(this.leaseMs / 3)));
    timer.unref();
    this.timers.set(job, timer);
  }

  /** Whether this replica runs the job now. */
  holds(job: string): boolean {
    if (!this.link.enabled) return true;
    const until = this.held.get(job);
    return until !== undefined && until > Date.now();
  }

  /** The jobs this replica holds (health, metrics). */
  heldJobs(): string[] {
    return [...this.held.keys()].filter((job) => this.holds(job));
  }

  private async renew(job: string): Promise<void> {
    const started = Date.now();
    try {
      const ok = await this.link.command.eval(ACQUIRE, 1, LEASE + job, this.token, String(this.leaseMs));
      const had = this.holds(job);
      if (ok === 1) {
        // A margin of a third: we stop before anyone else can start.
        this.held.set(job, started + Math.floor((this.leaseMs * 2) / 3));
        if (!had) this.logger.log(`This replica runs the ${job} job`);
      } else {
        this.held.delete(job);
        if (had) this.logger.log(`Another replica took over the ${job} job`);
      }
    } catch (error) {
      // Unconfirmed: the job stops here when our lease would have ended.
      this.logger.warn(`Renewing the ${job} lease failed: ${(error as Error).message}`);
    }
  }

  /** Before the connections close (RedisLink closes them at application shutdown). */
  async onModuleDestroy(): Promise<void> {
    for (const timer of this.timers.values()) clearInterval(timer);
    this.timers.clear();
    if (!this.link.enabled) return;
    // Hands the jobs over at once instead of after the lease.
    for (const job of this.heldJobs()) {
      try {
        await this.link.command.eval(RELEASE, 1, LEASE + job, this.token);
      } catch {
        // The lease ends by itself.
      }
    }
    this.held.clear();
  }
}
