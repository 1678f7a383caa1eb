// Per-owner and per-key concurrency caps across every replica (CODEX_LB_REDIS_URL). A slot is a
// member of two sorted sets in Redis (the owner's and the key's), scored by when its lease ends:
// taking one is one Lua script (check both caps, dropping expired slots from a full set, add to both), giving it
// back is a ZREM nobody waits for, batched with the others of the same few milliseconds. Slots held by this replica have their leases
// renewed in one pipeline every LEASE_MS / 3; a crashed replica's slots expire after LEASE_MS.
// A request over a shared cap retries every RETRY_MS until its queue deadline (the local gate
// keeps the first-come-first-served queue). While Redis does not answer, the local caps alone
// apply (fail open: a cap protects fairness, not security).
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

export class RedisSlots implements SharedSlots {
  private readonly logger = new Logger('SharedSlots');
  private readonly held = new Map<string, [string, string]>();
  private returning = new Map<string, string[]>();
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
    this.flushReturns();
  }

  async acquire(ownerId: string, keyId: string, exchange: Exchange, deadline: number): Promise<Release> {
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
        let released = false;
        return () => {
          if (released) return;
          released = true;
          this.held.delete(id);
          this.giveBack(sets, id);
        };
      }
      if (exchange.aborted) throw new ApiError(499, 'client_closed', 'The client closed the request.');
      if (Date.now() + RETRY_MS > deadline) throw busy(this.limits.queueTimeoutMs);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** Slots given back within FLUSH_MS leave together: one ZREM per set, in one pipeline. */
  private giveBack(sets: [string, string], id: string): void {
    for (const set of sets) {
      const members = this.returning.get(set);
      if (members) members.push(id);
      else this.returning.set(set, [id]);
    }
    this.flushing ??= setTimeout(() => this.flushReturns(), FLUSH_MS);
  }

  private flushReturns(): void {
    this.flushing = null;
    const batch = this.returning;
    this.returning = new Map();
    const redis = this.link.command;
    // Unreachable Redis: the leases end by themselves.
    if (batch.size === 0 || redis.status !== 'ready') return;
    const pipeline = redis.pipeline();
    for (const [set, members] of batch) pipeline.zrem(set, ...members);
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
