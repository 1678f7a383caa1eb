// Responses over WebSocket on the proxy's responses routes. The Node server's 'upgrade' event
// comes here (see app.factory.ts): the key is authenticated from the headers exactly as an HTTP
// request's (same cache, same errors), the open-socket caps are checked, the upstream socket is
// opened on an account of the key's pool, and only then is the client's upgrade accepted, with the
// upstream's turn state and models etag. A refusal is the HTTP status with OpenAI's error envelope
// on the raw socket; 426 when WebSocket is turned off or the upstream refuses it, so Codex falls
// back to HTTP at once. Sessions are closed when their key is revoked or its owner deactivated
// (within a second), when idle, when a ping goes unanswered, and at shutdown once their turn in
// flight has ended.
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError } from '../../../common/api-error';
import { shuttingDown } from '../proxy-errors';
import { DomainEvents } from '../../../common/events';
import { uuidv7 } from '../../../common/uuid7';
import { clientAddress, trustFunction, type TrustFunction } from '../../../common/client-address';
import { SETTINGS, type Settings } from '../../../config/settings';
import { AccountTokensService } from '../../accounts/account-tokens.service';
import { ApiKeyAuthService } from '../../api-keys/api-key-auth.service';
import type { AuthenticatedKey } from '../../api-keys/api-key.types';
import {
  checkWithOneRetry,
  concernsKey,
  KeyInvalidationBus,
  type KeyInvalidation,
} from '../../api-keys/key-invalidation';
import { Exchange } from '../exchange';
import { ProxyHttp } from '../proxy-http';
import { ProxyService } from '../proxy.service';
import { AccountPool } from '../routing/account-pool';
import { refuseUpgrade } from './raw-answer';
import { SocketCaps } from './socket-caps';
import { SocketSession, TurnReply } from './socket-session';
import { openUpstreamSocket, upgradeRequired, upstreamSocketUrl, type UpstreamSocketDeps } from './upstream-socket';

/** The routes that take an upgrade (the Responses routes of proxy-http.ts), to their log route. */
export const WEBSOCKET_ROUTES: ReadonlyMap<string, string> = new Map([
  ['/backend-api/codex/responses', '/backend-api/codex/responses'],
  ['/backend-api/codex/v1/responses', '/backend-api/codex/responses'],
  ['/v1/responses', '/v1/responses'],
]);

const SWEEP_MS = 15_000;
/** The wait before a socket's key that could not be checked is checked again. */
const RECHECK_RETRY_MS = 250;
export const SOCKET_DEFLATE = {
  threshold: 1024,
  serverMaxWindowBits: 11,
  clientMaxWindowBits: 11,
  zlibDeflateOptions: { memLevel: 4 },
};
const SHUTDOWN_CLOSE_MS = 2_000;

@Injectable()
export class ProxyWebSockets implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ProxyWebSocket');
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<SocketSession>();
  private readonly caps: SocketCaps;
  private readonly trust: TrustFunction;
  private readonly upstreamDeps: UpstreamSocketDeps;
  private sweeper: NodeJS.Timeout | null = null;
  private accepting = true;
  /** Upgrades being authenticated or connected upstream (their sockets are not sessions yet). */
  private pending = 0;
  private headersFor: Record<string, string> = {};

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly keys: ApiKeyAuthService,
    private readonly proxy: ProxyService,
    private readonly pool: AccountPool,
    private readonly http: ProxyHttp,
    tokens: AccountTokensService,
    private readonly moduleRef: ModuleRef,
  ) {
    this.caps = new SocketCaps({ perOwner: settings.maxSocketsPerOwner, perKey: settings.maxSocketsPerKey });
    this.trust = trustFunction(settings.trustProxy);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: settings.proxyBodyLimitBytes,
      // Codex offers permessage-deflate. Every socket keeps its compression contexts for its
      // life, so they are kept small (a 2 KB window and little state instead of ~300 KB per
      // socket at zlib's defaults), and small frames (the deltas) are sent as they are.
      perMessageDeflate: SOCKET_DEFLATE,
      clientTracking: false,
    });
    // The upstream's upgrade headers (turn state, models etag) go to the client's upgrade answer.
    this.wss.on('headers', (headers) => {
      for (const [name, value] of Object.entries(this.headersFor)) headers.push(`${name}: ${value}`);
    });
    this.upstreamDeps = {
      pool,
      proxy,
      tokens,
      url: upstreamSocketUrl(settings.upstreamBaseUrl),
      maxPayload: Math.max(settings.proxyBodyLimitBytes, 64 * 1024 * 1024),
    };
  }

  onModuleInit(): void {
    const bus = this.moduleRef.get(KeyInvalidationBus, { strict: false });
    // The key cache drops the entry first (its own listener); the check runs after it.
    bus.subscribe((message) => setImmediate(() => void this.recheck(message)));
    // Invalidations from other replicas may have been missed: every socket's key is checked.
    this.moduleRef
      .get(DomainEvents, { strict: false })
      .on('caches.resync', () => setImmediate(() => void this.recheck({ all: true })));
    this.sweeper = setInterval(
      () => this.sweep(),
      Math.min(SWEEP_MS, Math.max(250, this.settings.websocketIdleTimeoutMs / 2)),
    );
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    this.stopSweeping();
    for (const session of [...this.sessions]) session.close(1001, 'The gateway is shutting down.');
  }

  /** Open client sockets (health, specs). */
  get open(): number {
    return this.sessions.size;
  }

  /** Serves an upgrade on a responses route; anything else is refused with a 404. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const requestId = uuidv7();
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const route = WEBSOCKET_ROUTES.get(mark === -1 ? url : url.slice(0, mark));
    if (!route || req.method !== 'GET') {
      refuseUpgrade(socket, new ApiError(404, 'not_found', 'There is no WebSocket at this path.'), requestId);
      return;
    }
    if (!this.accepting) {
      refuseUpgrade(socket, shuttingDown(), requestId);
      return;
    }
    if (!this.settings.websockets) {
      refuseUpgrade(socket, upgradeRequired('WebSocket is turned off on this gateway; use HTTP.'), requestId);
      return;
    }
    this.pending += 1;
    void this.accept(req, socket, head, route, requestId).finally(() => (this.pending -= 1));
  }

  private async accept(req: IncomingMessage, socket: Duplex, head: Buffer, route: string, requestId: string) {
    let gone = false;
    const onGone = () => (gone = true);
    socket.once('close', onGone);
    let releaseCap: (() => void) | null = null;
    let upstream: WebSocket | null = null;
    let key: AuthenticatedKey | null = null;
    try {
      key = await this.keys.authenticateHeaders(req.headers);
      if (!key.principal.permissions.has('proxy:use')) throw ApiError.forbidden();
      releaseCap = this.caps.tryOpen(key.ownerUserId, key.id);
      if (!releaseCap) {
        throw new ApiError(
          429,
          'concurrency_limit_exceeded',
          'Too many WebSockets of this API key or its owner are open at once. Close one and retry.',
          { 'retry-after': '5' },
        );
      }
      if (gone) return;
      const opened = await openUpstreamSocket(this.upstreamDeps, key, req.headers, () => gone || !this.accepting);
      upstream = opened.ws;
      this.headersFor = { ...opened.headers, 'x-request-id': requestId };
      const release = releaseCap;
      releaseCap = null;
      // handleUpgrade completes (or refuses a bad handshake with a 400) synchronously.
      let bridged = false;
      const owner = key;
      this.wss.handleUpgrade(req, socket, head, (client) => {
        bridged = true;
        this.startSession(client, opened.ws, req, owner, opened.account, route, opened.headers, release);
      });
      this.headersFor = {};
      if (!bridged) {
        opened.ws.terminate();
        release();
      }
      upstream = null;
    } catch (error) {
      upstream?.terminate();
      // A refusal after the key check leaves a log row, as over HTTP.
      if (key) this.logRefusal(req, key, route, gone ? new ApiError(499, 'client_closed', 'The client left.') : error);
      if (!gone) refuseUpgrade(socket, error, requestId);
      else socket.destroy();
    } finally {
      socket.removeListener('close', onGone);
      releaseCap?.();
    }
  }

  private logRefusal(req: IncomingMessage, key: AuthenticatedKey, route: string, error: unknown): void {
    const reply = new TurnReply(() => undefined);
    const exchange = new Exchange(
      req,
      reply as unknown as ServerResponse,
      '',
      clientAddress(req, this.trust),
      this.settings.streamStallTimeoutMs,
    );
    this.proxy.refused(exchange, key, route, error);
  }

  private startSession(
    client: WebSocket,
    upstream: WebSocket,
    req: IncomingMessage,
    key: AuthenticatedKey,
    account: SocketSession['account'],
    route: string,
    upstreamHeaders: Record<string, string>,
    releaseCap: () => void,
  ): void {
    const session = new SocketSession(
      client,
      upstream,
      req,
      key,
      account,
      route,
      clientAddress(req, this.trust),
      upstreamHeaders,
      {
        proxy: this.proxy,
        pool: this.pool,
        gate: this.http.gate,
        stallTimeoutMs: this.settings.streamStallTimeoutMs,
        onClosed: (closed) => {
          this.sessions.delete(closed);
          releaseCap();
        },
        reconnect: async (exclude) => {
          if (!this.accepting) return null;
          try {
            const opened = await openUpstreamSocket(this.upstreamDeps, key, req.headers, () => false, exclude);
            return { ws: opened.ws, account: opened.account };
          } catch {
            return null;
          }
        },
      },
    );
    this.sessions.add(session);
  }

  /**
   * A key, owner or account changed: each socket of it is checked again as a new request would be
   * (the key still valid, its owner active, the account still in its pool); one that fails is
   * closed with the error frame the request would have got.
   */
  private async recheck(message: KeyInvalidation): Promise<void> {
    const concerned = [...this.sessions].filter(
      (session) =>
        concernsKey(message, session.key) ||
        (message.accountId !== undefined && message.accountId === session.account.id),
    );
    // A key that cannot be checked (the database did not answer) is checked once more, then the
    // socket is closed: its key may be the one just revoked (fail closed, as HTTP streams are).
    const verdicts = await checkWithOneRetry(concerned, (session) => this.stillAllowed(session), RECHECK_RETRY_MS);
    concerned.forEach((session, index) => {
      const verdict =
        verdicts[index] ??
        new ApiError(503, 'database_unavailable', 'The API key could not be checked again. Reconnect.');
      if (verdict instanceof ApiError) session.revoke(verdict, 1008);
    });
  }

  /**
   * The session's key checked as a new request would be (still valid, its owner active, proxy:use,
   * the account still in its pool): true (and the session's key refreshed), the refusal, or null
   * when it cannot be told right now.
   */
  private async stillAllowed(session: SocketSession): Promise<true | ApiError | null> {
    try {
      const fresh = await this.keys.authenticateHeaders(session.req.headers);
      if (!fresh.principal.permissions.has('proxy:use')) throw ApiError.forbidden();
      if (!this.pool.effectivePool(fresh).some((account) => account.id === session.account.id)) {
        throw new ApiError(
          409,
          'sticky_account_unavailable',
          'The account this socket is bound to is no longer available to this key.',
        );
      }
      session.key = fresh;
      return true;
    } catch (error) {
      if (error instanceof ApiError) return error;
      this.logger.warn(`Rechecking a WebSocket's key failed: ${(error as Error).message}`);
      return null;
    }
  }

  /** Idle sockets close; a socket that did not answer the previous ping is dropped. */
  private sweep(): void {
    const now = Date.now();
    const idle = this.settings.websocketIdleTimeoutMs;
    for (const session of [...this.sessions]) {
      if (!session.busy && now - session.lastActivity >= idle) {
        session.close(1000, 'Idle timeout.');
        continue;
      }
      session.ping();
    }
  }

  /** Refuses new upgrades and new turns (shutdown begins). */
  stopAccepting(): void {
    this.accepting = false;
    for (const session of [...this.sessions]) session.finish(1001, 'The gateway is shutting down.');
  }

  /**
   * Closes every socket (after ProxyService.drain has let the turns in flight finish): a close
   * frame, and sockets whose peer does not answer it within a moment are dropped.
   */
  async closeAll(): Promise<void> {
    this.stopSweeping();
    const sessions = [...this.sessions];
    for (const session of sessions) session.close(1001, 'The gateway is shutting down.');
    const deadline = Date.now() + SHUTDOWN_CLOSE_MS;
    while (Date.now() < deadline && sessions.some((s) => !s.fullyClosed)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private stopSweeping(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}
