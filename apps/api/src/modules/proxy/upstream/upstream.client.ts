// The proxy's connection to the Codex backend: one keep-alive undici pool for the backend's
// origin, dispatched to with a path (no URL parse, no origin lookup per request). Answers arrive
// as UpstreamResponse: the body's chunks are handed on as they come, and the caller destroys the
// response when its client goes away, which aborts the upstream request.
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'undici';
import { SETTINGS, type Settings } from '../../../config/settings';
import { UpstreamResponse } from './upstream-response';

const CLOSE_DEADLINE_MS = 5_000;

export interface UpstreamCall {
  method: 'GET' | 'POST';
  path: string; // below the backend base, e.g. '/codex/responses'
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Aborts the request when no answer is complete by then (the pool's own timeouts otherwise). */
  timeoutMs?: number;
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
      connections: settings.upstreamConnections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: 120_000,
      bodyTimeout: 300_000,
      connect: { timeout: 10_000 },
    });
  }

  /**
   * Sends the request and returns its answer at once: `ready` resolves when the status and
   * headers are in, and destroy() aborts the request at any point, even before it was sent.
   */
  open(input: UpstreamCall): UpstreamResponse {
    const response = new UpstreamResponse();
    this.pool.dispatch(
      { method: input.method, path: this.basePath + input.path, headers: input.headers, body: input.body },
      response,
    );
    if (input.timeoutMs !== undefined) response.expireAfter(input.timeoutMs);
    return response;
  }

  /** Resolves once the status and headers are in; the body follows through the response. */
  call(input: UpstreamCall): Promise<UpstreamResponse> {
    return this.open(input).ready;
  }

  /** Requests running on and queued for the pool (health, specs). */
  stats(): { running: number; pending: number; connected: number } {
    const { running, pending, connected } = this.pool.stats;
    return { running, pending, connected };
  }

  /** Closes the pool; requests still running after a few seconds are aborted, never waited on. */
  async onModuleDestroy(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_DEADLINE_MS)));
    const result = await Promise.race([this.pool.close().then(() => 'closed' as const), deadline]);
    clearTimeout(timer);
    if (result === 'late') await this.pool.destroy();
  }
}
