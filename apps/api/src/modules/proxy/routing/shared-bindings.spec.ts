// Sticky bindings shared through a real Redis (TEST_REDIS_URL, its own database index): the
// bindings stored in one turn of the event loop leave together, each with its own time to live,
// and another replica's look-up finds them.
import Redis from 'ioredis';
import type { Settings } from '../../../config/settings';
import { RedisLink } from '../../redis/redis-link';
import { BINDINGS_PER_SCRIPT, RedisBindings } from './shared-bindings';

const REDIS_DB = 10;

describe('RedisBindings', () => {
  let link: RedisLink;
  let other: RedisLink;
  let redis: Redis;

  beforeAll(async () => {
    const url = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    url.pathname = `/${REDIS_DB}`;
    redis = new Redis(url.toString());
    link = new RedisLink({ redisUrl: url.toString() } as Settings);
    other = new RedisLink({ redisUrl: url.toString() } as Settings);
    await Promise.all(
      [link, other].map((l) => new Promise<void>((resolve) => l.command.once('ready', () => resolve()))),
    );
    await redis.flushdb();
  });
  afterAll(async () => {
    await redis.flushdb();
    redis.disconnect();
    await link.onApplicationShutdown();
    await other.onApplicationShutdown();
  });

  it('writes the bindings of one turn with their own times to live, for another replica to read', async () => {
    const bindings = new RedisBindings(link);
    bindings.store([
      ['u1:session:s1', 'acct-a', 600_000],
      ['u1:resp:r1', 'acct-b', 30_000],
    ]);
    bindings.store([['s:u1:pck:p1', 'acct-c', 5_000]]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const found = await new RedisBindings(other).load(['u1:session:s1', 'u1:resp:r1', 's:u1:pck:p1', 'u1:resp:none']);
    expect(found).toEqual(['acct-a', 'acct-b', 'acct-c', null]);
    const ttls = await Promise.all(
      ['u1:session:s1', 'u1:resp:r1', 's:u1:pck:p1'].map((key) => redis.pttl(`codex-lb:sticky:${key}`)),
    );
    expect(ttls[0]).toBeGreaterThan(590_000);
    expect(ttls[0]).toBeLessThanOrEqual(600_000);
    expect(ttls[1]).toBeGreaterThan(25_000);
    expect(ttls[1]).toBeLessThanOrEqual(30_000);
    expect(ttls[2]).toBeGreaterThan(0);
    expect(ttls[2]).toBeLessThanOrEqual(5_000);
  });

  it('takes a key that needs escaping in Lua (quotes, newlines, spaces) as it is', async () => {
    const bindings = new RedisBindings(link);
    const key = 'u2:pck:"quoted" key\nwith a newline';
    bindings.store([[key, 'acct-d', 60_000]]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await redis.get(`codex-lb:sticky:${key}`)).toBe('acct-d');
  });

  it(`stores a turn of more than ${BINDINGS_PER_SCRIPT} bindings whole, each with its own account and time to live`, async () => {
    const bindings = new RedisBindings(link);
    const count = 2 * BINDINGS_PER_SCRIPT + 7;
    for (let i = 0; i < count; i++) bindings.store([[`u3:resp:${i}`, `acct-${i}`, 60_000 + i]]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const keys = Array.from({ length: count }, (_, i) => `u3:resp:${i}`);
    const found = await new RedisBindings(other).load(keys);
    expect(found).toEqual(keys.map((_, i) => `acct-${i}`));
    // The last of each script's slice kept its own time to live, not a neighbour's.
    for (const i of [BINDINGS_PER_SCRIPT - 1, BINDINGS_PER_SCRIPT, count - 1]) {
      const ttl = await redis.pttl(`codex-lb:sticky:u3:resp:${i}`);
      expect(ttl).toBeGreaterThan(60_000 + i - 5_000);
      expect(ttl).toBeLessThanOrEqual(60_000 + i);
    }
  });
});
