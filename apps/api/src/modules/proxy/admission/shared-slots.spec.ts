// The shared concurrency slots against a real Redis (TEST_REDIS_URL, its own database index): the
// script holds both caps and drops a crashed replica's expired slots once a set is full; a slot
// given back is a spare the same owner and key take again without the script, until the flush
// gives it back to Redis.
import Redis from 'ioredis';
import type { Settings } from '../../../config/settings';
import { RedisLink } from '../../redis/redis-link';
import type { Exchange } from '../exchange';
import { RedisSlots, TAKE_SLOT } from './shared-slots';

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

describe('RedisSlots', () => {
  let link: RedisLink;
  let redis: Redis;
  const exchange = { aborted: false } as Exchange;
  const members = (set: string) => redis.zrange(`codex-lb:slots:${set}`, 0, -1);
  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Every RedisSlots a test made, stopped after it. */
  let made: RedisSlots[] = [];
  const slotsWith = (perOwner: number, perKey: number) => {
    const slots = new RedisSlots(link, { perOwner, perKey, queueTimeoutMs: 1_000 });
    made.push(slots);
    return slots;
  };

  beforeAll(async () => {
    const url = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    url.pathname = `/${REDIS_DB}`;
    redis = new Redis(url.toString());
    link = new RedisLink({ redisUrl: url.toString() } as Settings);
    await new Promise<void>((resolve) => link.command.once('ready', () => resolve()));
  });
  beforeEach(() => redis.flushdb());
  afterEach(() => {
    for (const slots of made) slots.stop();
    made = [];
  });
  afterAll(async () => {
    await redis.flushdb();
    redis.disconnect();
    await link.onApplicationShutdown();
  });

  it('hands a given-back slot to the next request of the same owner and key, and gives it back within 10 ms otherwise', async () => {
    const slots = slotsWith(4, 4);
    const release = await slots.acquire('o1', 'k1', exchange, Date.now() + 1_000);
    const [first] = await members('key:k1');
    release();
    release();
    // Taken again at once: the same member, no second one.
    const again = await slots.acquire('o1', 'k1', exchange, Date.now() + 1_000);
    expect(await members('key:k1')).toEqual([first]);
    expect(await members('owner:o1')).toEqual([first]);
    // Released twice, it was one spare: the next request takes a new slot.
    const other = await slots.acquire('o1', 'k1', exchange, Date.now() + 1_000);
    expect(await members('key:k1')).toHaveLength(2);
    again();
    other();
    await settle(50);
    expect(await members('key:k1')).toEqual([]);
    expect(await members('owner:o1')).toEqual([]);
  });

  it("counts a spare toward the owner's cap until the flush, then another key of that owner gets the slot", async () => {
    const slots = slotsWith(1, 1);
    const release = await slots.acquire('o2', 'k1', exchange, Date.now() + 1_000);
    const [spare] = await members('owner:o2');
    release();
    expect(await members('owner:o2')).toEqual([spare]);
    // Key k2 of the same owner does not take k1's spare: it waits for the flush, then the script admits it.
    const started = Date.now();
    const next = await slots.acquire('o2', 'k2', exchange, started + 1_000);
    const owned = await members('owner:o2');
    expect(owned).toHaveLength(1);
    expect(owned[0]).not.toBe(spare);
    expect(await members('key:k2')).toEqual(owned);
    expect(await members('key:k1')).toEqual([]);
    next();
  });
});
