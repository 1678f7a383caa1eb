// The proxy's connection to the Codex backend: one keep-alive undici pool for the backend's
// origin, streaming bodies, and bodies the caller destroys when its client goes away, which
// aborts the upstream request. Calling the pool with a path (not a URL) skips a URL parse and an
// origin lookup per request.
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool, type Dispatcher } from 'undici';
import { SETTINGS, type Settings } from '../../config/settings';

export interface UpstreamCall {
  method: 'GET' | 'POST';
  path: string; // below the backend base, e.g. '/codex/responses'
  headers: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
}

@Injectable()
export class UpstreamClient implements OnModuleDestroy {
  private readonly pool: Pool;
  /** The base URL's path, e.g. '/backend-api', without a trailing slash. */
  private readonly basePath: string;

  constructor(@Inject(SETTINGS) settings: Settings) {
    const base = new URL(settings.upstreamBaseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: 256,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: 120_000,
      bodyTimeout: 300_000,
      connect: { timeout: 10_000 },
    });
  }

  call(input: UpstreamCall): Promise<Dispatcher.ResponseData> {
    return this.pool.request({
      method: input.method,
      path: this.basePath + input.path,
      headers: input.headers,
      body: input.body,
      signal: input.signal,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.close();
  }
}
