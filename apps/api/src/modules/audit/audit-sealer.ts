// Seals audit rows into the hash chain: every second while this process has written rows not yet
// sealed (rows another replica left behind go with the next pass anywhere), and on demand before
// a verify, it gives the unsealed rows seq, prev_hash and hash in id order. It holds a transaction-scoped
// advisory lock, so one sealer runs at a time across replicas while the mutations that insert
// rows never wait on it; an idle server sends it no query. Also runs the retention purge (under
// the same lock, so the chain's tip is stable).
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SETTINGS, type Settings } from '../../config/settings';
import { GENESIS_HASH, rowHash } from './audit-chain';
import { JobLeases } from '../redis/job-lease';
import { AuditRepository } from './audit.repository';

const SEAL_INTERVAL_MS = 1_000;
/**
 * Empty passes after which the hint is dropped: what it still counts was rolled back (a row whose
 * transaction stays open longer is sealed by the next pass anyone makes, or by a verify).
 */
const EMPTY_PASSES_BEFORE_IDLE = 5;
const SEAL_BATCH = 1_000;
export const AUDIT_PURGE_BATCH = 5_000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** The first retention run waits a little so it does not compete with startup. */
const FIRST_PURGE_DELAY_MS = 60_000;
const PURGE_JOB = 'audit-purge';

@Injectable()
export class AuditSealer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AuditSealer');
  private sealTimer: NodeJS.Timeout | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private sealing: Promise<number> | null = null;
  private emptyPasses = 0;
  private purging: Promise<number> | null = null;

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly audit: AuditRepository,
    @Optional() private readonly leases?: JobLeases,
  ) {}

  onModuleInit(): void {
    const scheduleSeal = () => {
      this.sealTimer = setTimeout(() => {
        void this.tick()
          .catch((error: unknown) => this.logger.warn(`sealing audit rows failed: ${String(error)}`))
          .finally(() => !this.stopped && scheduleSeal());
      }, SEAL_INTERVAL_MS);
      this.sealTimer.unref();
    };
    scheduleSeal();
    if (this.settings.auditRetentionDays > 0) {
      // With several replicas the hourly purge runs on the holder of its lease (sealing stays
      // wherever rows were written, one at a time under the lock).
      this.leases?.compete(PURGE_JOB);
      const schedulePurge = (delay: number) => {
        this.purgeTimer = setTimeout(() => {
          const pass = (this.leases?.holds(PURGE_JOB) ?? true) ? this.purge() : Promise.resolve(0);
          void pass.finally(() => !this.stopped && schedulePurge(HOUR_MS));
        }, delay);
        this.purgeTimer.unref();
      };
      schedulePurge(FIRST_PURGE_DELAY_MS);
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.sealTimer) clearTimeout(this.sealTimer);
    if (this.purgeTimer) clearTimeout(this.purgeTimer);
    await this.sealing?.catch(() => undefined);
    await this.purging?.catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.audit.unsealedHint === 0) return;
    const sealed = await this.sealPending(false);
    this.emptyPasses = sealed > 0 ? 0 : this.emptyPasses + 1;
    if (this.emptyPasses >= EMPTY_PASSES_BEFORE_IDLE) {
      this.audit.unsealedHint = 0;
      this.emptyPasses = 0;
    }
  }

  /**
   * Seals every row unsealed so far. `wait` takes the lock even if another sealer holds it (a
   * verify must see everything sealed); the loop does not wait, another replica is doing the work.
   */
  async sealPending(wait = true): Promise<number> {
    if (this.sealing) {
      const done = await this.sealing.catch(() => 0);
      if (!wait) return done;
    }
    this.sealing = this.sealAll(wait).finally(() => (this.sealing = null));
    return this.sealing;
  }

  private async sealAll(wait: boolean): Promise<number> {
    let total = 0;
    for (;;) {
      const sealed = await this.sealBatch(wait);
      total += sealed;
      if (sealed < SEAL_BATCH) return total;
    }
  }

  private sealBatch(wait: boolean): Promise<number> {
    return this.audit.transaction(async (manager) => {
      if (!(await this.audit.lockSealing(manager, wait))) return 0;
      const rows = await this.audit.unsealed(manager, SEAL_BATCH);
      if (rows.length === 0) return 0;
      const tip = await this.audit.chainTip(manager);
      let seq = BigInt(tip?.seq ?? '0');
      let prev = tip?.hash ?? GENESIS_HASH;
      const seals = rows.map((row) => {
        seq += 1n;
        const hash = rowHash(row, seq.toString(), prev);
        const seal = { id: row.id, seq: seq.toString(), prev, hash };
        prev = hash;
        return seal;
      });
      await this.audit.seal(manager, seals);
      this.audit.unsealedHint = Math.max(0, this.audit.unsealedHint - seals.length);
      return seals.length;
    });
  }

  /** One retention pass; returns how many rows were purged. Overlapping calls share the pass. */
  purge(now = new Date()): Promise<number> {
    if (this.settings.auditRetentionDays <= 0) return Promise.resolve(0);
    const cutoff = new Date(now.getTime() - this.settings.auditRetentionDays * DAY_MS);
    this.purging ??= this.purgeBefore(cutoff).finally(() => (this.purging = null));
    return this.purging;
  }

  /** Purges sealed rows older than cutoff in batches, each after a checkpoint row. */
  async purgeBefore(cutoff: Date): Promise<number> {
    let total = 0;
    try {
      await this.sealPending(true);
      for (;;) {
        const deleted = await this.audit.transaction(async (manager) => {
          await this.audit.lockSealing(manager, true);
          return this.audit.purgeBatch(manager, cutoff, AUDIT_PURGE_BATCH);
        });
        total += deleted;
        if (deleted === 0 || this.stopped) break;
      }
      await this.sealPending(true);
      if (total > 0) this.logger.log(`purged ${total} audit rows older than ${cutoff.toISOString()}`);
    } catch (error) {
      this.logger.error('purging old audit rows failed', error instanceof Error ? error.stack : String(error));
    }
    return total;
  }
}
