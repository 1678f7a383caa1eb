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
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Permission } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { normalizeError, openAiErrorBody } from '../../common/http-exception.filter';
import { SETTINGS, type Settings } from '../../config/settings';
import { ApiKeyAuthService } from '../api-keys/api-key-auth.service';
import type { AuthenticatedKey } from '../api-keys/api-key.types';
import { sendJson, type ProxyCall } from './proxy-call';
import { ProxyRoutes } from './proxy-routes.service';

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

/** Request bodies above this are refused with a 413 (long Codex sessions send hundreds of KB). */
export const PROXY_BODY_LIMIT = 32 * 1024 * 1024;

type Serve = (call: ProxyCall, key: AuthenticatedKey) => Promise<unknown>;

interface Bound {
  route: ProxyRoute;
  handle: Serve;
}

@Injectable()
export class ProxyHttp {
  private readonly logger = new Logger('Proxy');
  /** method -> path -> route. */
  private readonly table = new Map<string, Map<string, Bound>>();
  private readonly trustProxy: boolean;
  private closing = false;

  constructor(
    @Inject(SETTINGS) settings: Settings,
    routes: ProxyRoutes,
    private readonly keys: ApiKeyAuthService,
  ) {
    this.trustProxy = settings.trustProxy;
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
    const call: ProxyCall = {
      id: randomUUID(),
      headers: req.headers,
      body: null,
      search: mark === -1 ? '' : url.slice(mark + 1),
      ip: this.clientIp(req),
      res,
    };
    if (this.closing) {
      res.setHeader('connection', 'close');
      this.fail(call, new ApiError(503, 'shutting_down', 'The gateway is shutting down. Retry in a moment.'));
      return true;
    }
    if (bound.route.method === 'GET') {
      void this.serve(bound, call);
      return true;
    }
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/(.+\+)?json\b/i.test(type)) {
      this.fail(call, new ApiError(415, 'unsupported_media_type', 'Send the request body as application/json.'));
      return true;
    }
    this.readBody(req, call, bound);
    return true;
  }

  private readBody(req: IncomingMessage, call: ProxyCall, bound: Bound): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > PROXY_BODY_LIMIT) {
        refused = true;
        chunks.length = 0;
        call.res.setHeader('connection', 'close');
        this.fail(call, new ApiError(413, 'payload_too_large', 'The request body is larger than 32 MB.'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      call.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      void this.serve(bound, call);
    });
    // A client that goes away mid-body has no one to answer.
    req.on('error', () => undefined);
  }

  private clientIp(req: IncomingMessage): string | null {
    if (this.trustProxy) {
      const forwarded = req.headers['x-forwarded-for'];
      const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
      if (first) return first;
    }
    return req.socket.remoteAddress ?? null;
  }

  private async serve({ route, handle }: Bound, call: ProxyCall): Promise<void> {
    try {
      const key = await this.keys.authenticateHeaders(call.headers);
      if (!key.principal.permissions.has(route.permission)) throw ApiError.forbidden();
      const result = await handle(call, key);
      if (result !== undefined && !call.res.headersSent) sendJson(call.res, 200, result, call.id);
    } catch (exception) {
      this.fail(call, exception);
    }
  }

  /**
   * OpenAI's error envelope. Deliberate errors (no usable account, upstream failures) are answers,
   * already in the request log; anything else is a bug, logged with its request id and stack,
   * and the client sees no internals.
   */
  private fail(call: ProxyCall, exception: unknown): void {
    const error = normalizeError(exception, 'POST', '');
    if (error.status >= 500 && !(exception instanceof ApiError)) {
      this.logger.error(`request ${call.id} failed`, exception instanceof Error ? exception.stack : String(exception));
    }
    const res = call.res;
    if (res.headersSent) {
      if (!res.writableEnded) res.end();
      return;
    }
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    sendJson(res, error.status, openAiErrorBody(error), call.id);
  }
}
