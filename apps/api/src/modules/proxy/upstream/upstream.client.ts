// The proxy's connection to the Codex backend: Node's own HTTP client over one keep-alive agent
// for the backend's origin (no URL parse, no origin lookup per request). Answers arrive as
// UpstreamResponse: the body's chunks are handed on as they come, and the caller destroys the
// response when its client goes away, which aborts the upstream request.
//
// Why Node's client and not undici's pool: a request on a kept-alive connection leaves at once
// (in the same event-loop turn), where undici writes it in a later check phase. The proxy's answers
// to its clients also leave at a turn's end, so with undici both went out in one burst per turn and
// the backend, the proxy and its clients took turns idling (bench/BASELINE.md: ~4 points of both
// cores idle, 0.91x -> 0.96x the bare proxy's req/s).
//
// A kept-alive connection that receives anything while idle (bytes no request asked for) is
// closed, never handed to the next request, as nginx does with its upstream keep-alive cache.
//
// Deadlines: an answer whose headers have not come CODEX_LB_UPSTREAM_HEADERS_TIMEOUT_SECONDS after
// it was sent (waiting for a connection included), or that sends nothing for
// CODEX_LB_UPSTREAM_IDLE_TIMEOUT_SECONDS while it is read, is aborted. One sweep a second over the
// answers in flight keeps them, instead of timers per request: those were held until the timer's
// next pass and so carried into the old generation (bench/BASELINE.md). A new connection that is
// not up within 10 s is given up.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { SlotList } from '../../../common/slot-list';
import { SETTINGS, type Settings } from '../../../config/settings';
import { UpstreamResponse, type SweepClock } from './upstream-response';

const CLOSE_DEADLINE_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** How long a connection is kept open without a request. */
const IDLE_CONNECTION_MS = 60_000;
/** How often the deadlines are checked: once a second, or four times per deadline if shorter. */
const MAX_SWEEP_MS = 1_000;

export interface UpstreamCall {
  method: 'GET' | 'POST';
  path: string; // below the backend base, e.g. '/codex/responses'
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Aborts the request when no answer is complete by then (the sweep's deadlines otherwise). */
  timeoutMs?: number;
}

/** Bytes on a kept-alive connection that no request asked for: the connection is closed. */
function refuseIdleBytes(this: Duplex): void {
  this.destroy(new Error('The upstream sent bytes on an idle connection.'));
}

function giveUpConnecting(socket: Duplex): void {
  socket.destroy(new Error(`No connection within ${CONNECT_TIMEOUT_MS} ms.`));
}

/**
 * Node's keep-alive agent, with idle connections guarded (see the top of the file) and a deadline
 * for a new connection.
 */
function guardedAgent(secure: boolean, connections: number): http.Agent {
  const Base: typeof http.Agent = secure ? https.Agent : http.Agent;
  class GuardedAgent extends Base {
    override createConnection(
      options: http.ClientRequestArgs,
      callback?: (error: Error | null, socket: Duplex) => void,
    ): Duplex | null | undefined {
      const socket = super.createConnection(options, callback);
      if (!socket) return socket;
      const timer = setTimeout(giveUpConnecting, CONNECT_TIMEOUT_MS, socket);
      const clear = (): void => clearTimeout(timer);
      socket.once(secure ? 'secureConnect' : 'connect', clear);
      socket.once('close', clear);
      return socket;
    }

    override keepSocketAlive(socket: Duplex): boolean {
      socket.on('data', refuseIdleBytes);
      return super.keepSocketAlive(socket) as unknown as boolean;
    }

    override reuseSocket(socket: Duplex, request: http.ClientRequest): void {
      socket.removeListener('data', refuseIdleBytes);
      super.reuseSocket(socket, request);
    }
  }
  return new GuardedAgent({
    keepAlive: true,
    maxSockets: connections,
    maxFreeSockets: connections,
    // The connection used last is the one reused: warm, and idle ones age out.
    scheduling: 'lifo',
    timeout: IDLE_CONNECTION_MS,
  });
}

@Injectable()
export class UpstreamClient implements OnModuleDestroy {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly host: string;
  private readonly port: number;
  /** The base URL's path, e.g. '/backend-api', without a trailing slash. */
  private readonly basePath: string;
  /** Answers not over yet (sent, waiting for headers, or being read), in no order. */
  private readonly inFlight = new SlotList<UpstreamResponse>();
  private readonly clock: SweepClock = { tick: 0 };
  private readonly sweepMs: number;
  private readonly headersTicks: number;
  private readonly idleTicks: number;
  private readonly sweeper: NodeJS.Timeout;
  /** Set while closing: called when the last answer in flight is over. */
  private drained: (() => void) | null = null;

  constructor(@Inject(SETTINGS) settings: Settings) {
    const base = new URL(settings.upstreamBaseUrl);
    const secure = base.protocol === 'https:';
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.host = base.hostname;
    this.port = Number(base.port) || (secure ? 443 : 80);
    this.request = secure ? https.request : http.request;
    this.agent = guardedAgent(secure, settings.upstreamConnections);
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
    if (this.inFlight.size === 0) this.drained?.();
  };

  /**
   * Sends the request and returns its answer at once: `ready` resolves when the status and
   * headers are in, and destroy() aborts the request at any point, even before it was sent.
   */
  open(input: UpstreamCall): UpstreamResponse {
    const response = new UpstreamResponse(this.clock, this.leave);
    this.inFlight.add(response, undefined);
    let request: http.ClientRequest;
    try {
      request = this.request({
        host: this.host,
        port: this.port,
        method: input.method,
        path: this.basePath + input.path,
        headers: input.headers,
        agent: this.agent,
      });
    } catch (error) {
      // A header Node refuses to send: the request fails as if the backend had refused it.
      response.fail(error as Error);
      return response;
    }
    response.send(request, input.body);
    if (input.timeoutMs !== undefined) response.expireAfter(input.timeoutMs);
    return response;
  }

  /** Resolves once the status and headers are in; the body follows through the response. */
  call(input: UpstreamCall): Promise<UpstreamResponse> {
    return this.open(input).ready;
  }

  /** Requests on a connection and waiting for one, connections open (health, specs). */
  stats(): { running: number; pending: number; connected: number; inFlight: number } {
    const count = (lists: NodeJS.ReadOnlyDict<unknown[]>): number => {
      let n = 0;
      for (const name in lists) n += lists[name]?.length ?? 0;
      return n;
    };
    const running = count(this.agent.sockets);
    return {
      running,
      pending: count(this.agent.requests),
      connected: running + count(this.agent.freeSockets),
      inFlight: this.inFlight.size,
    };
  }

  /** Lets the answers in flight finish for a few seconds, then aborts them and closes. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        timer = setTimeout(resolve, CLOSE_DEADLINE_MS);
      });
      clearTimeout(timer);
      this.drained = null;
      for (const response of this.inFlight.list()) response.destroy(new Error('The gateway is shutting down.'));
    }
    this.agent.destroy();
  }
}
