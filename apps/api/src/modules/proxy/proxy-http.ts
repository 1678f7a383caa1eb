// The proxy's HTTP surface: Codex CLI under /backend-api/codex, OpenAI SDKs under /v1. Node's HTTP
// server hands every request to dispatch() first (see app.factory.ts); a proxy route is served
// here, anything else goes on to Fastify and Nest. At a Codex-sized body, Fastify's per-request
// work (its request and reply objects, hooks, body collection) plus Nest's router cost about as
// much CPU as the whole bare pass-through proxy, so the proxy routes skip them.
//
// Every route is an API-key route by construction: serve() authenticates the key and checks the
// route's permission before any handler runs, and there is no setting that turns this off. The
// route meta-spec reads PROXY_ROUTES beside Nest's own routes.
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Permission } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { clientAddress, trustFunction, type TrustFunction } from '../../common/client-address';
import { normalizeError, openAiErrorBody } from '../../common/http-exception.filter';
import { SETTINGS, type Settings } from '../../config/settings';
import { ApiKeyAuthService } from '../api-keys/api-key-auth.service';
import { AuditService } from '../audit/audit.service';
import { recordProxyDenial } from '../audit/denials';
import type { AuthenticatedKey } from '../api-keys/api-key.types';
import { ConcurrencyGate, type Release } from './admission/concurrency-gate';
import { Exchange } from './exchange';
import { sendJson } from './proxy-call';
import { shuttingDown } from './proxy-errors';
import { createBodyDecoder, type BodyDecoder } from './wire/body-decoding';
import { ProxyRoutes } from './proxy-routes.service';
import { isLogged, ProxyService } from './proxy.service';

type Handler =
  'codexResponses' | 'compact' | 'codexModels' | 'responses' | 'chatCompletions' | 'openAiModels' | 'usage';

export interface ProxyRoute {
  method: 'GET' | 'POST';
  paths: readonly string[];
  permission: Permission;
  handler: Handler;
}

export const PROXY_ROUTES: readonly ProxyRoute[] = [
  {
    method: 'POST',
    paths: ['/backend-api/codex/responses', '/backend-api/codex/v1/responses'],
    permission: 'proxy:use',
    handler: 'codexResponses',
  },
  {
    method: 'POST',
    paths: ['/backend-api/codex/responses/compact', '/backend-api/codex/v1/responses/compact'],
    permission: 'proxy:use',
    handler: 'compact',
  },
  {
    method: 'GET',
    paths: ['/backend-api/codex/models', '/backend-api/codex/v1/models'],
    permission: 'proxy:use',
    handler: 'codexModels',
  },
  { method: 'POST', paths: ['/v1/responses'], permission: 'proxy:use', handler: 'responses' },
  { method: 'POST', paths: ['/v1/chat/completions'], permission: 'proxy:use', handler: 'chatCompletions' },
  { method: 'GET', paths: ['/v1/models'], permission: 'proxy:use', handler: 'openAiModels' },
  { method: 'GET', paths: ['/v1/usage'], permission: 'proxy:use', handler: 'usage' },
];

type Serve = (exchange: Exchange, key: AuthenticatedKey) => Promise<unknown>;

interface Bound {
  route: ProxyRoute;
  handle: Serve;
}

/** How long a refused client may keep sending an unread body before its socket is closed. */
const LINGER_MS = 1_000;

@Injectable()
export class ProxyHttp {
  private readonly logger = new Logger('Proxy');
  /** method -> path -> route. */
  private readonly table = new Map<string, Map<string, Bound>>();
  private readonly trust: TrustFunction;
  private readonly bodyLimit: number;
  private readonly stallTimeoutMs: number;
  /** Per-owner and per-key admission, shared with the WebSocket turns (websocket/). */
  readonly gate: ConcurrencyGate;
  private closing = false;

  constructor(
    @Inject(SETTINGS) settings: Settings,
    routes: ProxyRoutes,
    private readonly keys: ApiKeyAuthService,
    private readonly proxy: ProxyService,
    private readonly audit: AuditService,
  ) {
    this.trust = trustFunction(settings.trustProxy);
    this.bodyLimit = settings.proxyBodyLimitBytes;
    this.stallTimeoutMs = settings.streamStallTimeoutMs;
    this.gate = new ConcurrencyGate({
      perOwner: settings.maxConcurrentPerOwner,
      perKey: settings.maxConcurrentPerKey,
      queueTimeoutMs: settings.queueTimeoutMs,
    });
    for (const route of PROXY_ROUTES) {
      let byPath = this.table.get(route.method);
      if (!byPath) this.table.set(route.method, (byPath = new Map()));
      const handle: Serve = routes[route.handler].bind(routes);
      for (const path of route.paths) byPath.set(path, { route, handle });
    }
  }

  /** From now on proxy requests get a 503 (the server is shutting down). */
  stopAccepting(): void {
    this.closing = true;
  }

  /** Serves a proxy route and returns true, or returns false for Fastify to serve the request. */
  dispatch(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const bound = this.table.get(req.method ?? '')?.get(mark === -1 ? url : url.slice(0, mark));
    if (!bound) return false;
    // Watching for the client's departure starts here, before anything is awaited.
    const exchange = new Exchange(
      req,
      res,
      mark === -1 ? '' : url.slice(mark + 1),
      this.clientIp(req),
      this.stallTimeoutMs,
    );
    if (this.closing) {
      this.refuse(exchange, shuttingDown());
      return true;
    }
    if (bound.route.method === 'POST') {
      const type = req.headers['content-type'];
      if (type !== undefined && !/^application\/(.+\+)?json\b/i.test(type)) {
        this.refuse(
          exchange,
          new ApiError(415, 'unsupported_media_type', 'Send the request body as application/json.'),
        );
        return true;
      }
      const length = Number(req.headers['content-length']);
      if (length > this.bodyLimit) {
        this.refuse(exchange, this.tooLarge());
        return true;
      }
    }
    void this.serve(bound, exchange);
    return true;
  }

  /**
   * Authenticates from the headers (the body is not read for a bad key), takes a concurrency
   * slot, reads the body, then runs the route. The slot is given back on every path.
   */
  private async serve({ route, handle }: Bound, exchange: Exchange): Promise<void> {
    let key: AuthenticatedKey | null = null;
    let release: Release | null = null;
    try {
      key = await this.keys.authenticateHeaders(exchange.headers, exchange.req.socket);
      if (exchange.aborted) return;
      if (!key.principal.permissions.has(route.permission)) throw ApiError.forbidden();
      release = await this.gate.acquire(key.ownerUserId, key.id, exchange);
      if (route.method === 'POST') {
        exchange.body = this.receivedBody(exchange.req) ?? (await this.readBody(exchange));
        if (exchange.aborted) return;
      }
      const result = await handle(exchange, key);
      if (result !== undefined && !exchange.res.headersSent) sendJson(exchange.res, 200, result, exchange.id);
    } catch (exception) {
      if (key && !isLogged(exception)) this.proxy.refused(exchange, key, route.paths[0], exception);
      if (key && exception instanceof ApiError && exception.getStatus() === 403) {
        recordProxyDenial(
          this.audit,
          exchange,
          key.principal,
          { method: route.method, path: route.paths[0], permission: route.permission },
          exception.message,
        );
      }
      this.refuse(exchange, exception);
    } finally {
      release?.();
    }
  }

  /**
   * The body when Node has received all of it already, as it usually has by now (a request's
   * bytes arrive together, and the key check comes first): taken from the request's buffer at
   * once, without the listeners, promise and event-loop ticks of reading it as a stream. Null when
   * some is still to come or it needs decoding (readBody then reads it).
   */
  private receivedBody(req: IncomingMessage): Buffer | null {
    if (!req.complete || req.readableFlowing !== null || req.headers['content-encoding'] !== undefined) return null;
    if (req.readableLength > this.bodyLimit) throw this.tooLarge();
    return (req.read() as Buffer | null) ?? Buffer.alloc(0);
  }

  /**
   * The body, at most the limit; a body over it is refused with a 413 as soon as it passes it. A
   * compressed body (Content-Encoding) is decoded as it arrives, and the limit bounds both the
   * bytes received and the decoded size (wire/body-decoding.ts).
   */
  private readBody(exchange: Exchange): Promise<Buffer> {
    const req = exchange.req;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let received = 0;
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        chunks.length = 0;
        cleanup();
        reject(error);
      };
      const onDecoded = (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > this.bodyLimit) return fail(this.tooLarge());
        chunks.push(chunk);
      };
      const finish = () => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      };
      let decoder: BodyDecoder | null = null;
      try {
        decoder = createBodyDecoder(req.headers['content-encoding'], { data: onDecoded, end: finish, error: fail });
      } catch (error) {
        reject(error as Error);
        return;
      }
      const onData = (chunk: Buffer) => {
        received += chunk.length;
        if (received > this.bodyLimit) return fail(this.tooLarge());
        if (decoder) decoder.write(chunk);
        else onDecoded(chunk);
      };
      const onEnd = () => {
        if (!decoder) return finish();
        // The request is read; its 'close' follows while the decoder may still be working (a
        // client that leaves now is still noticed, through the exchange's wait).
        detach();
        decoder.end();
      };
      // A client that goes away mid-body is noticed by the exchange; this only stops waiting.
      const onGone = () => fail(new ApiError(499, 'client_closed', 'The client closed the request.'));
      const detach = () => {
        req.removeListener('data', onData);
        req.removeListener('end', onEnd);
        req.removeListener('error', onGone);
        req.removeListener('close', onGone);
      };
      const cleanup = () => {
        decoder?.destroy();
        detach();
        exchange.waiting = null;
      };
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onGone);
      req.on('close', onGone);
      exchange.waiting = onGone;
    });
  }

  private tooLarge(): ApiError {
    return new ApiError(
      413,
      'payload_too_large',
      `The request body is larger than ${Math.round(this.bodyLimit / (1024 * 1024))} MB.`,
    );
  }

  /** The same rule as Fastify's request.ip (common/client-address.ts). */
  private clientIp(req: IncomingMessage): string | null {
    return clientAddress(req, this.trust);
  }

  /**
   * OpenAI's error envelope. Deliberate errors (no usable account, upstream failures) are answers,
   * already in the request log; anything else is a bug, logged with its request id and stack,
   * and the client sees no internals. A body left unread (refused before reading it) is not read
   * afterwards: the connection closes shortly after the answer.
   */
  private refuse(exchange: Exchange, exception: unknown): void {
    const error = normalizeError(exception, 'POST', '');
    if (error.status >= 500 && !(exception instanceof ApiError)) {
      this.logger.error(
        `request ${exchange.id} failed`,
        exception instanceof Error ? exception.stack : String(exception),
      );
    }
    const res = exchange.res;
    if (res.headersSent || res.destroyed || exchange.aborted) {
      // An answer already ending leaves whole at the turn's end (Exchange.end); res.end() here
      // would end it before its last chunk.
      exchange.end();
      return;
    }
    const req = exchange.req;
    if (req.method === 'POST' && !req.complete && exchange.body === null) {
      res.setHeader('connection', 'close');
      res.once('finish', () => setTimeout(() => req.socket.destroy(), LINGER_MS).unref());
    }
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    sendJson(res, error.status, openAiErrorBody(error), exchange.id);
  }
}
