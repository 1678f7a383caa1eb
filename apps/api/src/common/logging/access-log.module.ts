// One log line per dashboard API request once it is answered: method, path without its query
// string, status, duration and the request id the client got back as `x-request-id`. Health
// checks, scrapes and the docs are logged at debug level only. The proxy's requests are not
// Fastify's (modules/proxy/proxy-http.ts): each has its request-log row, under the same id.
import { Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

const QUIET = /^\/(api\/health(\/|$)|metrics$|api\/docs(\/|$))/;
const PATH_MAX = 300;

export function pathOf(url: string): string {
  const mark = url.indexOf('?');
  const path = mark === -1 ? url : url.slice(0, mark);
  return path.length > PATH_MAX ? path.slice(0, PATH_MAX) : path;
}

@Injectable()
export class AccessLog implements OnModuleInit {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || typeof fastify.addHook !== 'function') return;
    fastify.addHook('onResponse', (request, reply, done) => {
      const path = pathOf(request.url ?? '/');
      const line = {
        reqId: request.id,
        method: request.method,
        path,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      };
      const message = `${request.method} ${path} ${reply.statusCode}`;
      if (QUIET.test(path) && reply.statusCode < 500) this.logger.debug(message, line);
      else this.logger.log(message, line);
      done();
    });
  }
}

@Module({ providers: [AccessLog] })
export class AccessLogModule {}
