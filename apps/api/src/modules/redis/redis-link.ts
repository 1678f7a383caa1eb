// The Redis connections of a replica, when CODEX_LB_REDIS_URL is set: one for commands (scripts,
// counters, locks, pipelined) and one for the invalidation subscription (a subscribed connection
// takes no other command). Without the setting nothing is created and `enabled` is false; every
// user of Redis checks it and keeps its in-process behaviour.
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { SETTINGS, type Settings } from '../../config/settings';

/** Every key this application writes starts with this, so a shared Redis can hold other data. */
export const KEY_PREFIX = 'codex-lb:';

@Injectable()
export class RedisLink implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly enabled: boolean;
  private commandClient: Redis | null = null;
  private subscriberClient: Redis | null = null;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.enabled = settings.redisUrl !== null;
    if (!settings.redisUrl) return;
    const options = {
      keyPrefix: KEY_PREFIX,
      // While disconnected a command fails at once instead of queueing: callers fall back to
      // local state (or fail closed) rather than hold a request for the reconnect.
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      enableOfflineQueue: false,
      // Commands issued in one turn of the event loop (slot takes of concurrent requests) leave in
      // one write: far less CPU per command under load.
      enableAutoPipelining: true,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 1_000),
      lazyConnect: false,
    };
    // ioredis is loaded only when Redis is configured: ~1.6 MB of V8's heap a replica without it
    // would keep for nothing.
    const RedisClient = (require('ioredis') as typeof import('ioredis')).default;
    this.commandClient = new RedisClient(settings.redisUrl, {
      ...options,
      connectionName: `codex-lb-command-${process.pid}`,
    });
    this.subscriberClient = new RedisClient(settings.redisUrl, {
      ...options,
      keyPrefix: undefined,
      enableAutoPipelining: false,
      connectionName: `codex-lb-subscriber-${process.pid}`,
      maxRetriesPerRequest: null,
    });
    for (const [name, client] of [
      ['command', this.commandClient],
      ['subscriber', this.subscriberClient],
    ] as const) {
      // ioredis reconnects by itself; an error event without a listener would crash the process.
      client.on('error', (error: Error) => this.logger.warn(`Redis ${name} connection: ${error.message}`));
    }
  }

  /** The command connection (throws when Redis is not configured). */
  get command(): Redis {
    if (!this.commandClient) throw new Error('Redis is not configured (CODEX_LB_REDIS_URL).');
    return this.commandClient;
  }

  get subscriber(): Redis {
    if (!this.subscriberClient) throw new Error('Redis is not configured (CODEX_LB_REDIS_URL).');
    return this.subscriberClient;
  }

  /** Both connections are up. */
  get up(): boolean {
    return this.commandClient?.status === 'ready' && this.subscriberClient?.status === 'ready';
  }

  /** A PING within `timeoutMs` (health checks). */
  async ping(timeoutMs = 1_000): Promise<boolean> {
    if (!this.commandClient || this.commandClient.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        this.commandClient.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        }),
      ]);
      return answer === 'PONG';
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    for (const client of [this.subscriberClient, this.commandClient]) {
      if (!client) continue;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    }
  }
}
