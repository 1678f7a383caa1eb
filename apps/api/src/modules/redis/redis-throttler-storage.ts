// The per-address request throttle (@nestjs/throttler: sign-in attempts per client a minute)
// counted in Redis, so N replicas allow the configured number in all, not N times it. A fixed
// window per key and throttler, one Lua script per hit. While Redis does not answer, each replica
// counts on its own again (the throttler's in-memory storage).
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import type { RedisLink } from './redis-link';

interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

// KEYS[1] hits, KEYS[2] block; ARGV[1] ttl ms, ARGV[2] limit, ARGV[3] block ms.
const HIT = `
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return {hits, math.max(redis.call('PTTL', KEYS[1]), 0), 1, blocked}
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, ttl, 1, tonumber(ARGV[3])}
end
return {hits, ttl, 0, 0}`;

export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly fallback = new ThrottlerStorageService();

  constructor(private readonly link: RedisLink) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const redis = this.link.command;
    if (redis.status !== 'ready') return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
    try {
      const [hits, ttlMs, blocked, blockMs] = (await redis.eval(
        HIT,
        2,
        `throttle:${throttlerName}:${key}`,
        `throttle-block:${throttlerName}:${key}`,
        String(ttl),
        String(limit),
        String(Math.max(1, blockDuration)),
      )) as [number, number, number, number];
      return {
        totalHits: hits,
        timeToExpire: Math.ceil(ttlMs / 1000),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.ceil(blockMs / 1000),
      };
    } catch {
      return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }
}
