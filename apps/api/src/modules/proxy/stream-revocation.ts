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
import { KeyInvalidationBus, type KeyInvalidation } from '../api-keys/key-invalidation';
import { ProxyService } from './proxy.service';

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
      if (exchange.aborted) continue;
      if (
        message.all === true ||
        (message.keyId !== undefined && message.keyId === key.id) ||
        (message.ownerId !== undefined && message.ownerId === key.ownerUserId) ||
        (message.ownerRole !== undefined && message.ownerRole === key.ownerRole)
      ) {
        concerned.push(exchange);
      }
    }
    for (const exchange of concerned) {
      try {
        const fresh = await this.keys.authenticateHeaders(exchange.headers);
        if (!fresh.principal.permissions.has('proxy:use')) throw ApiError.forbidden();
      } catch (error) {
        if (!(error instanceof ApiError)) {
          this.logger.warn(`Rechecking a stream's key failed: ${(error as Error).message}`);
          continue;
        }
        this.cut++;
        exchange.abort('key_revoked');
      }
    }
  }
}
