// The proxy's connection to the Codex backend: one keep-alive undici pool, streaming bodies, and
// bodies the caller destroys when its client goes away, which aborts the upstream request.
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Agent, request, type Dispatcher } from 'undici';
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
  private readonly agent = new Agent({
    connections: 256,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
    connect: { timeout: 10_000 },
  });
  private readonly base: string;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.base = settings.upstreamBaseUrl;
  }

  call(input: UpstreamCall): Promise<Dispatcher.ResponseData> {
    return request(`${this.base}${input.path}`, {
      method: input.method,
      headers: input.headers,
      body: input.body,
      signal: input.signal,
      dispatcher: this.agent,
      headersTimeout: 120_000,
      bodyTimeout: 300_000,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }
}
