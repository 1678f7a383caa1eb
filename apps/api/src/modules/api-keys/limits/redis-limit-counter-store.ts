// Limit counters shared by every replica: each operation of LimitCounterStore is one Lua script
// (one round trip, atomic in Redis), so "7 per minute" admits exactly 7 however many replicas
// take requests at once.
//   counter:<name>      hash {committed, reserved}, expiring after its window (+1 h)
//   reservation:<id>    the reservation's claims ("counter amount" lines), expiring after its lease
//   reservations        sorted set of reservation ids by lease end, for the sweeper
// Amounts are floats (cost limits): HINCRBYFLOAT.
import type Redis from 'ioredis';
import { LimitCounterStore, type CounterClaim, type CounterValue, type ReserveResult } from './limit-counter-store';

const COUNTER = 'counter:';
const RESERVATION = 'reservation:';
const LEASES = 'reservations';
/** Counters outlive their window a little, for a late settle of a request that started in it. */
const COUNTER_GRACE_MS = 60 * 60_000;

// KEYS[1] leases, KEYS[2] reservation, KEYS[3..] counters.
// ARGV[1] leaseUntil, ARGV[2] id, ARGV[3] when the reservation's record goes, then per counter:
// amount, max, when the counter goes (all times epoch ms, computed by the caller).
const RESERVE = `
local n = #KEYS - 2
for i = 1, n do
  local key = KEYS[i + 2]
  local amount = tonumber(ARGV[4 + (i - 1) * 3])
  local max = tonumber(ARGV[5 + (i - 1) * 3])
  local values = redis.call('HMGET', key, 'committed', 'reserved')
  local used = (tonumber(values[1]) or 0) + (tonumber(values[2]) or 0)
  if used >= max or used + amount > max then
    return {0, i - 1, tostring(used)}
  end
end
local lines = {}
for i = 1, n do
  local key = KEYS[i + 2]
  local amount = ARGV[4 + (i - 1) * 3]
  redis.call('HINCRBYFLOAT', key, 'reserved', amount)
  redis.call('PEXPIREAT', key, ARGV[6 + (i - 1) * 3])
  lines[#lines + 1] = key .. ' ' .. amount
end
redis.call('SET', KEYS[2], table.concat(lines, '\\n'), 'PXAT', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
return {1}`;

// Returns the reservation's amounts (the shared part of settle and release).
// KEYS[1] leases, KEYS[2] reservation; ARGV[1] id; then settle's pairs in KEYS[3..] / ARGV[2..].
const UNHOLD = `
local held = redis.call('GET', KEYS[2])
if held then
  for line in string.gmatch(held, '[^\\n]+') do
    local space = string.find(line, ' ', 1, true)
    local key = string.sub(line, 1, space - 1)
    local amount = tonumber(string.sub(line, space + 1))
    if redis.call('EXISTS', key) == 1 then
      local left = redis.call('HINCRBYFLOAT', key, 'reserved', -amount)
      if tonumber(left) < 0 then redis.call('HSET', key, 'reserved', 0) end
    end
  end
  redis.call('DEL', KEYS[2])
end
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HINCRBYFLOAT', KEYS[i], 'committed', ARGV[i - 1])
  end
end
if held then return 1 end
return 0`;

// KEYS[1] counter; ARGV[1] committed, ARGV[2] expiresAt.
const SEED = `
if redis.call('HSETNX', KEYS[1], 'committed', ARGV[1]) == 1 then
  redis.call('HSETNX', KEYS[1], 'reserved', 0)
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
return 1`;

export class RedisLimitCounterStore extends LimitCounterStore {
  constructor(private readonly redis: Redis) {
    super();
  }

  async seed(counter: string, committed: number, expiresAt: number): Promise<void> {
    await this.redis.eval(SEED, 1, COUNTER + counter, String(committed), String(expiresAt + COUNTER_GRACE_MS));
  }

  async has(counter: string): Promise<boolean> {
    return (await this.redis.exists(COUNTER + counter)) === 1;
  }

  async reserve(reservationId: string, claims: CounterClaim[], leaseUntil: number): Promise<ReserveResult> {
    const keys = [LEASES, RESERVATION + reservationId, ...claims.map((claim) => COUNTER + claim.counter)];
    const args: string[] = [String(leaseUntil), reservationId, String(leaseUntil + COUNTER_GRACE_MS)];
    for (const claim of claims) {
      args.push(String(claim.amount), String(claim.max), String(claim.expiresAt + COUNTER_GRACE_MS));
    }
    const result = (await this.redis.eval(RESERVE, keys.length, ...keys, ...args)) as [number, number?, string?];
    if (result[0] === 1) return { ok: true };
    return { ok: false, index: Number(result[1]), used: Number(result[2]) };
  }

  async settle(reservationId: string, actual: ReadonlyMap<string, number>): Promise<boolean> {
    const keys = [LEASES, RESERVATION + reservationId];
    const args = [reservationId];
    for (const [counter, amount] of actual) {
      keys.push(COUNTER + counter);
      args.push(String(amount));
    }
    return (await this.redis.eval(UNHOLD, keys.length, ...keys, ...args)) === 1;
  }

  async release(reservationId: string): Promise<boolean> {
    return (await this.redis.eval(UNHOLD, 2, LEASES, RESERVATION + reservationId, reservationId)) === 1;
  }

  async read(counters: string[]): Promise<CounterValue[]> {
    if (counters.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const counter of counters) pipeline.hmget(COUNTER + counter, 'committed', 'reserved');
    const answers = (await pipeline.exec()) ?? [];
    return answers.map(([error, value]) => {
      if (error) throw error;
      const [committed, reserved] = value as [string | null, string | null];
      return { committed: Number(committed ?? 0), reserved: Number(reserved ?? 0) };
    });
  }

  /** Releases reservations past their lease; counters expire by themselves. */
  async sweep(now: number): Promise<number> {
    const stale = await this.redis.zrangebyscore(LEASES, '-inf', String(now), 'LIMIT', 0, 500);
    let reclaimed = 0;
    for (const id of stale) if (await this.release(id)) reclaimed++;
    return reclaimed;
  }
}
