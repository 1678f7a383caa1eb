// The proxy's connection to the Codex backend: one keep-alive undici pool for the backend's
// origin, dispatched to with a path (no URL parse, no origin lookup per request). Answers arrive
// as UpstreamResponse: the body's chunks are handed on as they come, and the caller destroys the
// response when its client goes away, which aborts the upstream request.
//
// Deadlines: an answer whose headers have not come CODEX_LB_UPSTREAM_HEADERS_TIMEOUT_SECONDS after
// it was sent, or that sends nothing for CODEX_LB_UPSTREAM_IDLE_TIMEOUT_SECONDS while it is read,
// is aborted. One sweep a second over the answers in flight keeps them, instead of undici's own
// per-request timers: those were two timer objects per request, each held until undici's next
// timer pass and so carried into the old generation (bench/BASELINE.md).
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'undici';
import { SlotList } from '../../../common/slot-list';
import { SETTINGS, type Settings } from '../../../config/settings';
import { UpstreamResponse, type SweepClock } from './upstream-response';

const CLOSE_DEADLINE_MS = 5_000;
/** How often the deadlines are checked: once a second, or four times per deadline if shorter. */
const MAX_SWEEP_MS = 1_000;

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
  /** Answers not over yet (sent, waiting for headers, or being read), in no order. */
  private readonly inFlight = new SlotList<UpstreamResponse>();
  private readonly clock: SweepClock = { tick: 0 };
  private readonly sweepMs: number;
  private readonly headersTicks: number;
  private readonly idleTicks: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(@Inject(SETTINGS) settings: Settings) {
    const base = new URL(settings.upstreamBaseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: settings.upstreamConnections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      // The sweep below keeps both deadlines.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: 10_000 },
    });
    const { upstreamHeadersTimeoutMs: headers, upstreamIdleTimeoutMs: idle } = settings;
    this.sweepMs = Math.max(10, Math.min(MAX_SWEEP_MS, Math.floor(Math.min(headers, idle) / 4)));
    this.headersTicks = Math.ceil(headers / this.sweepMs);
    this.idleTicks = Math.ceil(idle / this.sweepMs);
    this.sweeper = setInterval(() => this.sweep(), this.sweepMs);
    this.sweeper.unref();
  }

  /**
   * Aborts the answers past a deadline. A tick is one sweep, so a deadline is kept to within one
   * sweep (late, never early). A paused answer (its client reads slowly) is the exchange's to cut
   * off (CODEX_LB_STREAM_STALL_TIMEOUT_SECONDS), not this sweep's.
   */
  private sweep(): void {
    const tick = ++this.clock.tick;
    // A copy: an answer aborted here leaves the list.
    for (const response of this.inFlight.list()) {
      const ticks = tick - response.progressTick;
      if (!response.answered) {
        if (ticks > this.headersTicks) {
          response.destroy(new Error(`No response headers within ${this.headersTicks * this.sweepMs} ms.`));
        }
      } else if (!response.paused && ticks > this.idleTicks) {
        response.destroy(new Error(`Nothing received for ${this.idleTicks * this.sweepMs} ms.`));
      }
    }
  }

  /** Takes an answer that is over out of the list. */
  private readonly leave = (response: UpstreamResponse): void => {
    this.inFlight.remove(response);
  };

  /**
   * Sends the request and returns its answer at once: `ready` resolves when the status and
   * headers are in, and destroy() aborts the request at any point, even before it was sent.
   */
  open(input: UpstreamCall): UpstreamResponse {
    const response = new UpstreamResponse(this.clock, this.leave);
    this.inFlight.add(response, undefined);
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
  stats(): { running: number; pending: number; connected: number; inFlight: number } {
    const { running, pending, connected } = this.pool.stats;
    return { running, pending, connected, inFlight: this.inFlight.size };
  }

  /** Closes the pool; requests still running after a few seconds are aborted, never waited on. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_DEADLINE_MS)));
    const result = await Promise.race([this.pool.close().then(() => 'closed' as const), deadline]);
    clearTimeout(timer);
    if (result === 'late') await this.pool.destroy();
  }
}
