// Per-owner and per-key concurrency caps across every replica (CODEX_LB_REDIS_URL). A slot is a
// member of two sorted sets in Redis (the owner's and the key's), scored by when its lease ends:
// taking one is one Lua script (check both caps, dropping expired slots from a full set, add to
// both). A slot given back stays counted in Redis for FLUSH_MS to 2 x FLUSH_MS: it is this
// replica's spare meanwhile, and a request of the same owner and key takes it without asking
// Redis; a flush every FLUSH_MS gives back the spares that waited that long, in one pipeline (one
// ZREM per set). Under steady load most requests find one (a keep-alive client's next request
// follows its last answer), so the script and the ZREM run for a fraction of requests; the count
// in Redis never misses a slot in use, and a freed one is counted a few milliseconds at most.
// Slots held by this replica (in use or spare) have their leases renewed in one pipeline every
// LEASE_MS / 3; a crashed replica's slots expire after LEASE_MS. A request over a shared cap
// retries every RETRY_MS until its queue deadline (the local gate keeps the first-come-first-served
// queue). While Redis does not answer, the local caps alone apply (fail open: a cap protects
// fairness, not security).
import { Injectable, Logger, OnModuleDestroy, OnModuleInit, Inject } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { ApiError } from '../../../common/api-error';
import { SETTINGS, type Settings } from '../../../config/settings';
import { RedisLink } from '../../redis/redis-link';
import type { Exchange } from '../exchange';
import { ProxyHttp } from '../proxy-http';
import { busy, type Release, type SharedSlots } from './concurrency-gate';

const LEASE_MS = 60_000;
const RETRY_MS = 50;
const FLUSH_MS = 5;

// KEYS[1] owner set, KEYS[2] key set; ARGV[1] now, ARGV[2] lease end, ARGV[3] slot id,
// ARGV[4] per-owner cap, ARGV[5] per-key cap, ARGV[6] set expiry (ms).
// Expired slots (a crashed replica's) are dropped only from a set that looks full, so the common
// case costs two ZCARDs and two ZADDs.
export const TAKE_SLOT = `
for i, cap in ipairs({ tonumber(ARGV[4]), tonumber(ARGV[5]) }) do
  if redis.call('ZCARD', KEYS[i]) >= cap then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[1])
    if redis.call('ZCARD', KEYS[i]) >= cap then return 0 end
  end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return 1`;

type SlotRedis = Redis & {
  takeSlot(owner: string, key: string, ...args: string[]): Promise<number>;
};

/** Slots of one owner and key given back and still counted in Redis, oldest first. */
interface Spares {
  sets: [string, string];
  ids: string[];
  /** When each was given back (Date.now()). */
  since: number[];
}

export class RedisSlots implements SharedSlots {
  private readonly logger = new Logger('SharedSlots');
  /** Every slot this replica counts for in Redis (in use or spare): their leases are renewed. */
  private readonly held = new Map<string, [string, string]>();
  /** Spare slots by owner and key (pairKey), given back to Redis by the next flush. */
  private spares = new Map<string, Spares>();
  private flushing: NodeJS.Timeout | null = null;
  private readonly timer: NodeJS.Timeout;
  private warned = false;

  constructor(
    private readonly link: RedisLink,
    private readonly limits: { perOwner: number; perKey: number; queueTimeoutMs: number },
  ) {
    const redis = link.command as SlotRedis;
    if (typeof redis.takeSlot !== 'function') redis.defineCommand('takeSlot', { numberOfKeys: 2, lua: TAKE_SLOT });
    this.timer = setInterval(() => this.renew(), Math.floor(LEASE_MS / 3));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.flushing) clearTimeout(this.flushing);
    this.flushReturns(true);
  }

  async acquire(ownerId: string, keyId: string, exchange: Exchange, deadline: number): Promise<Release> {
    const pair = pairKey(ownerId, keyId);
    const spare = this.takeSpare(pair);
    if (spare !== null) return this.releaser(pair, spare.sets, spare.id);
    const redis = this.link.command as SlotRedis;
    const id = randomUUID();
    const sets: [string, string] = [`slots:owner:${ownerId}`, `slots:key:${keyId}`];
    for (;;) {
      if (redis.status !== 'ready') return noop;
      const now = Date.now();
      let taken: number;
      try {
        taken = await redis.takeSlot(
          sets[0],
          sets[1],
          String(now),
          String(now + LEASE_MS),
          id,
          String(this.limits.perOwner),
          String(this.limits.perKey),
          String(LEASE_MS * 2),
        );
      } catch (error) {
        if (!this.warned) this.logger.warn(`Shared concurrency caps unavailable: ${(error as Error).message}`);
        this.warned = true;
        return noop;
      }
      this.warned = false;
      if (taken === 1) {
        this.held.set(id, sets);
        return this.releaser(pair, sets, id);
      }
      if (exchange.aborted) throw new ApiError(499, 'client_closed', 'The client closed the request.');
      if (Date.now() + RETRY_MS > deadline) throw busy(this.limits.queueTimeoutMs);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** The newest spare slot of this owner and key, taken out of the spares; null when there is none. */
  private takeSpare(pair: string): { sets: [string, string]; id: string } | null {
    const spares = this.spares.get(pair);
    const id = spares?.ids.pop();
    if (spares === undefined || id === undefined) return null;
    spares.since.pop();
    if (spares.ids.length === 0) this.spares.delete(pair);
    return { sets: spares.sets, id };
  }

  /** The release of a slot: it becomes a spare (safe to call more than once). */
  private releaser(pair: string, sets: [string, string], id: string): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.giveBack(pair, sets, id);
    };
  }

  private giveBack(pair: string, sets: [string, string], id: string): void {
    const now = Date.now();
    const spares = this.spares.get(pair);
    if (spares) {
      spares.ids.push(id);
      spares.since.push(now);
    } else {
      this.spares.set(pair, { sets, ids: [id], since: [now] });
    }
    this.flushing ??= setTimeout(() => this.flushReturns(), FLUSH_MS);
  }

  /**
   * The spares that waited FLUSH_MS leave Redis together (one ZREM per set, in one pipeline);
   * younger ones wait for the next flush. `all`: every spare (stopping).
   */
  private flushReturns(all = false): void {
    this.flushing = null;
    const due = all ? Infinity : Date.now() - FLUSH_MS;
    const members = new Map<string, string[]>();
    for (const [pair, spares] of this.spares) {
      let count = 0;
      while (count < spares.since.length && spares.since[count] <= due) count++;
      if (count === 0) continue;
      const ids = spares.ids.splice(0, count);
      spares.since.splice(0, count);
      if (spares.ids.length === 0) this.spares.delete(pair);
      for (const id of ids) this.held.delete(id);
      for (const set of spares.sets) {
        const list = members.get(set);
        if (list) list.push(...ids);
        else members.set(set, [...ids]);
      }
    }
    if (this.spares.size > 0) this.flushing = setTimeout(() => this.flushReturns(), FLUSH_MS);
    if (members.size === 0) return;
    const redis = this.link.command;
    // Unreachable Redis: the leases end by themselves.
    if (redis.status !== 'ready') return;
    const pipeline = redis.pipeline();
    for (const [set, ids] of members) pipeline.zrem(set, ...ids);
    pipeline.exec().catch(() => undefined);
  }

  private renew(): void {
    const redis = this.link.command;
    if (this.held.size === 0 || redis.status !== 'ready') return;
    const until = String(Date.now() + LEASE_MS);
    const pipeline = redis.pipeline();
    for (const [id, [owner, key]] of this.held) {
      pipeline.zadd(owner, 'XX', until, id).pexpire(owner, LEASE_MS * 2);
      pipeline.zadd(key, 'XX', until, id).pexpire(key, LEASE_MS * 2);
    }
    pipeline.exec().catch((error: Error) => this.logger.warn(`Renewing concurrency slots failed: ${error.message}`));
  }
}

function noop(): void {}

function pairKey(ownerId: string, keyId: string): string {
  return `${ownerId} ${keyId}`;
}

/** Hands the shared caps to the proxy's gate when Redis is configured. */
@Injectable()
export class SharedConcurrency implements OnModuleInit, OnModuleDestroy {
  private slots: RedisSlots | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly http: ProxyHttp,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  onModuleInit(): void {
    if (!this.link.enabled) return;
    this.slots = new RedisSlots(this.link, {
      perOwner: this.settings.maxConcurrentPerOwner,
      perKey: this.settings.maxConcurrentPerKey,
      queueTimeoutMs: this.settings.queueTimeoutMs,
    });
    this.http.gate.shared = this.slots;
  }

  onModuleDestroy(): void {
    this.slots?.stop();
  }
}
