// Sticky bindings in Redis (CODEX_LB_REDIS_URL): written through from every replica's selector
// with a time to live, read only on a local miss. While Redis does not answer, the selector works
// from what this replica knows (a conversation may move to another account, as after a restart).
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisLink } from '../../redis/redis-link';
import { ProxyService } from '../proxy.service';
import type { SharedBindings } from './account-selector';

const PREFIX = 'sticky:';
/** A look-up slower than this is given up on: the request goes on with local bindings. */
const LOAD_TIMEOUT_MS = 250;

// KEYS: the bindings' keys; ARGV: for each key its account id, then its time to live (ms).
export const SET_BINDINGS = `
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[2 * i - 1], 'PX', ARGV[2 * i])
end
return #KEYS`;

type BindingsRedis = Redis & { setBindings(count: number, ...args: string[]): Promise<number> };

/**
 * Bindings per script at most: a turn that ends many requests at once (a burst of answers) sends
 * several scripts rather than one call with tens of thousands of arguments, and Redis runs none
 * for long.
 */
export const BINDINGS_PER_SCRIPT = 500;

export class RedisBindings implements SharedBindings {
  private readonly logger = new Logger('StickyBindings');
  /** Bindings stored in this turn of the event loop: their keys, and account id and ttl pairs. */
  private keys: string[] = [];
  private values: string[] = [];
  private scheduled = false;

  constructor(private readonly link: RedisLink) {
    const redis = link.command as BindingsRedis;
    if (typeof redis.setBindings !== 'function') redis.defineCommand('setBindings', { lua: SET_BINDINGS });
  }

  async load(keys: string[]): Promise<(string | null)[]> {
    const redis = this.link.command;
    if (redis.status !== 'ready') return [];
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        redis.mget(keys.map((key) => PREFIX + key)),
        new Promise<(string | null)[]>((resolve) => {
          timer = setTimeout(() => resolve([]), LOAD_TIMEOUT_MS);
        }),
      ]);
    } catch {
      return [];
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Written within this turn of the event loop, so a client's next turn on another replica finds
   * the binding (a delay here would be a race): the bindings stored in one turn (several requests'
   * answers) leave together at its end, as one script that sets each with its time to live. One
   * command per turn instead of one per binding: the commands, not the bytes, cost the CPU.
   */
  store(entries: [string, string, number][]): void {
    if (this.link.command.status !== 'ready') return;
    for (const [key, accountId, ttlMs] of entries) {
      this.keys.push(PREFIX + key);
      this.values.push(accountId, String(ttlMs));
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const { keys, values } = this;
    this.keys = [];
    this.values = [];
    const redis = this.link.command as BindingsRedis;
    if (keys.length === 0 || redis.status !== 'ready') return;
    for (let from = 0; from < keys.length; from += BINDINGS_PER_SCRIPT) {
      const to = Math.min(keys.length, from + BINDINGS_PER_SCRIPT);
      redis
        .setBindings(to - from, ...keys.slice(from, to), ...values.slice(2 * from, 2 * to))
        .catch((error: Error) => this.logger.warn(`Storing sticky bindings failed: ${error.message}`));
    }
  };
}

@Injectable()
export class SharedStickiness implements OnModuleInit {
  constructor(
    private readonly link: RedisLink,
    private readonly proxy: ProxyService,
  ) {}

  onModuleInit(): void {
    if (this.link.enabled) this.proxy.selector.shared = new RedisBindings(this.link);
  }
}
