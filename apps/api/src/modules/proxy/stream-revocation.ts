// Cuts the HTTP streams in flight whose key stopped being valid: revoked, disabled, expired, its
// owner deactivated or deleted, or its role losing proxy:use. Listens to the key invalidation
// bus, which carries this replica's own changes and (with Redis) every other replica's, so a key
// revoked anywhere loses its open streams everywhere. The check re-authenticates the request's
// own headers after the cache dropped the entry (a database read, once per concerned exchange);
// nothing runs per streamed chunk. WebSocket sessions are rechecked by proxy-websockets.ts.
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { DomainEvents } from '../../common/events';
import { ApiKeyAuthService } from '../api-keys/api-key-auth.service';
import { checkWithOneRetry, concernsKey, KeyInvalidationBus, type KeyInvalidation } from '../api-keys/key-invalidation';
import type { Exchange } from './exchange';
import { ProxyService } from './proxy.service';

/** The wait before a stream's key that could not be checked is checked again. */
const RETRY_MS = 250;

@Injectable()
export class StreamRevocation implements OnModuleInit {
  private readonly logger = new Logger('StreamRevocation');
  /** Streams cut since start (metrics, specs). */
  cut = 0;

  constructor(
    private readonly bus: KeyInvalidationBus,
    private readonly keys: ApiKeyAuthService,
    private readonly proxy: ProxyService,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    // The key cache drops the entry first (its own listener); the check runs after it.
    this.bus.subscribe((message) => setImmediate(() => void this.recheck(message)));
    // Invalidations from other replicas may have been missed: every stream's key is checked.
    this.events.on('caches.resync', () => setImmediate(() => void this.recheck({ all: true })));
  }

  async recheck(message: KeyInvalidation): Promise<void> {
    const concerned = [];
    for (const [exchange, key] of this.proxy.liveExchanges()) {
      if (!exchange.aborted && concernsKey(message, key)) concerned.push(exchange);
    }
    // A key that cannot be checked (the database did not answer) is checked once more, then
    // treated as revoked: the stream's key may be the one just revoked (fail closed).
    const verdicts = await checkWithOneRetry(concerned, (exchange) => this.stillValid(exchange), RETRY_MS);
    concerned.forEach((exchange, index) => {
      if (verdicts[index] === true || exchange.aborted) return;
      this.cut++;
      exchange.abort('key_revoked');
    });
  }

  /** Whether the stream's key still authorizes it; null when that cannot be told right now. */
  private async stillValid(exchange: Exchange): Promise<boolean | null> {
    try {
      const fresh = await this.keys.authenticateHeaders(exchange.headers);
      return fresh.principal.permissions.has('proxy:use');
    } catch (error) {
      if (error instanceof ApiError) return false;
      this.logger.warn(`Rechecking a stream's key failed: ${(error as Error).message}`);
      return null;
    }
  }
}
