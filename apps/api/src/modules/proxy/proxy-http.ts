// The proxy's HTTP surface: Codex CLI under /backend-api/codex, OpenAI SDKs under /v1. These
// routes are registered on Fastify directly instead of through Nest's router, so the hot path
// skips Nest's per-request guard, pipe, interceptor and filter machinery. Every one of them is an
// API-key route by construction: serve() authenticates the key and checks the route's permission
// before any handler runs, and there is no setting that turns this off. The route meta-spec reads
// PROXY_ROUTES beside Nest's own routes.
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Permission } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { normalizeError, openAiErrorBody } from '../../common/http-exception.filter';
import { ApiKeyAuthService } from '../api-keys/api-key-auth.service';
import type { AuthenticatedKey } from '../api-keys/api-key.types';
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

type Serve = (request: FastifyRequest, reply: FastifyReply, key: AuthenticatedKey) => Promise<unknown>;

@Injectable()
export class ProxyHttp implements OnModuleInit {
  private readonly logger = new Logger('Proxy');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly routes: ProxyRoutes,
    private readonly keys: ApiKeyAuthService,
  ) {}

  /** Runs before the server listens (Nest's init hooks come before Fastify is ready). */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    for (const route of PROXY_ROUTES) {
      const handle: Serve = this.routes[route.handler].bind(this.routes);
      for (const url of route.paths) {
        fastify.route({
          method: route.method,
          url,
          // Not async: the answer is written by serve(), so Fastify has no promise to follow.
          handler: (request, reply) => {
            void this.serve(route, handle, request, reply);
          },
        });
      }
    }
  }

  private async serve(route: ProxyRoute, handle: Serve, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      const key = await this.keys.authenticateHeaders(request.headers);
      if (!key.principal.permissions.has(route.permission)) throw ApiError.forbidden();
      const result = await handle(request, reply, key);
      if (result !== undefined && !reply.sent) void reply.send(result);
    } catch (exception) {
      this.fail(request, reply, exception);
    }
  }

  /**
   * OpenAI's error envelope. Deliberate errors (no usable account, upstream failures) are answers,
   * already in the request log; anything else is a bug, logged with its request id and stack,
   * and the client sees no internals.
   */
  private fail(request: FastifyRequest, reply: FastifyReply, exception: unknown): void {
    const error = normalizeError(exception, request.method, request.url);
    if (error.status >= 500 && !(exception instanceof ApiError)) {
      this.logger.error(
        `request ${request.id} ${request.method} ${request.url.split('?')[0]} failed`,
        exception instanceof Error ? exception.stack : String(exception),
      );
    }
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    void reply.headers(error.headers).status(error.status).send(openAiErrorBody(error));
  }
}
