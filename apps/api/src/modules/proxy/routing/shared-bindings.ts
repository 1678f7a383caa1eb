// Sticky bindings in Redis (CODEX_LB_REDIS_URL): written through from every replica's selector
// with a time to live, read only on a local miss. While Redis does not answer, the selector works
// from what this replica knows (a conversation may move to another account, as after a restart).
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { RedisLink } from '../../redis/redis-link';
import { ProxyService } from '../proxy.service';
import type { SharedBindings } from './account-selector';

const PREFIX = 'sticky:';
/** A look-up slower than this is given up on: the request goes on with local bindings. */
const LOAD_TIMEOUT_MS = 250;

export class RedisBindings implements SharedBindings {
  private readonly logger = new Logger('StickyBindings');

  constructor(private readonly link: RedisLink) {}

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
   * Written at once (the connection pipelines the commands of one event-loop turn together), so a
   * client's next turn on another replica finds the binding: a delay here would be a race.
   */
  store(entries: [string, string, number][]): void {
    const redis = this.link.command;
    if (redis.status !== 'ready') return;
    for (const [key, accountId, ttlMs] of entries) {
      redis
        .set(PREFIX + key, accountId, 'PX', ttlMs)
        .catch((error: Error) => this.logger.warn(`Storing a sticky binding failed: ${error.message}`));
    }
  }
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
