// The shared concurrency slot script against a real Redis (TEST_REDIS_URL, its own database
// index): both caps hold, and a crashed replica's expired slots stop counting once a set is full.
import Redis from 'ioredis';
import { TAKE_SLOT } from './shared-slots';

const REDIS_DB = 14;

type SlotRedis = Redis & { take(owner: string, key: string, ...args: string[]): Promise<number> };

describe('TAKE_SLOT', () => {
  let redis: SlotRedis;
  const now = Date.now();
  const take = (id: string, perOwner: number, perKey: number, key = 'k') =>
    redis.take('o', key, String(now), String(now + 60_000), id, String(perOwner), String(perKey), '120000');

  beforeAll(async () => {
    const url = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    url.pathname = `/${REDIS_DB}`;
    redis = new Redis(url.toString()) as SlotRedis;
    redis.defineCommand('take', { numberOfKeys: 2, lua: TAKE_SLOT });
  });
  beforeEach(() => redis.flushdb());
  afterAll(async () => {
    await redis.flushdb();
    redis.disconnect();
  });

  it('admits up to the per-key and the per-owner cap, in both sets', async () => {
    expect([await take('a', 3, 2), await take('b', 3, 2), await take('c', 3, 2)]).toEqual([1, 1, 0]);
    expect(await take('d', 3, 2, 'other-key')).toBe(1);
    expect(await take('e', 3, 2, 'third-key')).toBe(0);
    expect(await redis.zrange('o', 0, -1)).toEqual(['a', 'b', 'd']);
    expect(await redis.zrange('k', 0, -1)).toEqual(['a', 'b']);
  });

  it('drops expired slots of a full set and admits, and still refuses when the live ones fill it', async () => {
    await redis.zadd('o', now - 10, 'dead-1', now - 5, 'dead-2');
    expect([await take('a', 2, 5), await take('b', 2, 5), await take('c', 2, 5)]).toEqual([1, 1, 0]);
    expect(await redis.zrange('o', 0, -1)).toEqual(['a', 'b']);
  });
});
