// The Codex backend's Responses-over-WebSocket transport on `/backend-api/codex/responses`: the
// upgrade is authenticated like an HTTP request (a refusal is the HTTP status and body), then each
// `{"type":"response.create", ...}` text frame is answered with one text frame per Responses event.
// Like the real backend, a socket remembers the responses it produced, so `previous_response_id`
// works only on the socket (and so the account) that produced it; `generate: false` is a warm-up
// (no model output); errors are `{"type":"error","status":N,"error":{...}}` frames; and a socket
// lives at most `websocketMaxAgeMs` (60 minutes upstream), then answers
// websocket_connection_limit_reached.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { BackendRoutes } from './backend-routes';
import { outputCharsOf, turnState } from './backend-routes';
import type { UpstreamContext } from './context';
import { randomId } from './jwt';
import { planOutput } from './reply';
import { buildFailedFrames, buildFrames, newResponseId, rateLimitEventJson } from './sse';
import { nowSeconds, rollWindows, type SeatState } from './state';

type Json = Record<string, unknown>;

export const WEBSOCKET_PATHS = new Set(['/backend-api/codex/responses', '/backend-api/codex/v1/responses']);

interface SocketState {
  seat: SeatState;
  req: IncomingMessage;
  openedAt: number;
  /** Responses produced on this socket: the only ones previous_response_id may name. */
  responses: Set<string>;
  busy: boolean;
}

export interface WebSocketOptions {
  /** Answer upgrades (true) or refuse them with 426 (false). */
  enabled: boolean;
  /** A socket's life; a turn after it gets websocket_connection_limit_reached. */
  maxAgeMs: number;
}

export class WebSocketRoutes {
  readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: true, maxPayload: 64 * 1024 * 1024 });
  readonly sockets = new Map<WebSocket, SocketState>();
  upgrades = 0;
  turns = 0;
  warmups = 0;
  readonly options: WebSocketOptions = { enabled: true, maxAgeMs: 60 * 60_000 };
  /** The headers of the upgrade being answered (read by the 'headers' hook). */
  private pendingHeaders: string[] = [];

  constructor(
    private readonly ctx: UpstreamContext,
    private readonly backend: BackendRoutes,
  ) {
    this.wss.on('headers', (headers) => headers.push(...this.pendingHeaders));
  }

  /** Serves an upgrade on a WebSocket path; false when the path is not one. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): boolean {
    if (!WEBSOCKET_PATHS.has(path)) return false;
    if (!this.options.enabled) {
      rawAnswer(socket, 426, { detail: 'Upgrade Required: use HTTP' });
      return true;
    }
    const check = this.backend.checkSeat(req);
    if (!('seat' in check)) {
      rawAnswer(socket, check.status, check.body);
      return true;
    }
    const seat = check.seat;
    this.upgrades += 1;
    this.pendingHeaders = [
      `x-codex-turn-state: ${turnState(seat)}`,
      `x-models-etag: "fake-models-1"`,
      'x-reasoning-included: true',
      `x-request-id: ${randomId(16)}`,
    ];
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pendingHeaders = [];
      const state: SocketState = { seat, req, openedAt: Date.now(), responses: new Set(), busy: false };
      this.sockets.set(ws, state);
      ws.on('message', (data, isBinary) => void this.onMessage(ws, state, data, isBinary));
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('error', () => ws.terminate());
    });
    return true;
  }

  /** Sockets open now. */
  get open(): number {
    return this.sockets.size;
  }

  closeAll(): void {
    for (const ws of this.sockets.keys()) ws.terminate();
    this.sockets.clear();
  }

  reset(): void {
    this.upgrades = 0;
    this.turns = 0;
    this.warmups = 0;
  }

  private async onMessage(ws: WebSocket, state: SocketState, data: RawData, isBinary: boolean): Promise<void> {
    if (isBinary) return this.error(ws, 400, 'invalid_request_error', 'Binary frames are not supported.');
    const raw = data as Buffer;
    let body: Json;
    try {
      body = JSON.parse(raw.toString('utf8')) as Json;
    } catch {
      return this.error(ws, 400, 'invalid_request_error', 'The frame is not valid JSON.');
    }
    if (body.type !== 'response.create') {
      return this.error(ws, 400, 'invalid_request_error', `Unsupported message type: ${String(body.type)}`);
    }
    if (Date.now() - state.openedAt >= this.options.maxAgeMs) {
      this.error(
        ws,
        400,
        'invalid_request_error',
        'Responses websocket connection limit reached (60 minutes). Create a new websocket connection to continue.',
        'websocket_connection_limit_reached',
      );
      ws.close(1000);
      return;
    }
    if (state.busy) {
      return this.error(ws, 400, 'invalid_request_error', 'A response is already in progress on this connection.');
    }
    const seat = state.seat;
    this.backend.record(state.req, '/backend-api/codex/responses', seat, body, 'websocket');
    const previous = body.previous_response_id;
    if (typeof previous === 'string' && !state.responses.has(previous)) {
      return this.error(
        ws,
        400,
        'invalid_request_error',
        `Previous response with id '${previous}' not found.`,
        'previous_response_not_found',
      );
    }
    if (seat.deactivated) {
      return this.error(
        ws,
        401,
        'invalid_request_error',
        'Your OpenAI account has been deactivated.',
        'account_deactivated',
      );
    }
    state.busy = true;
    try {
      if (body.generate === false) await this.warmup(ws, state, body, raw.length);
      else await this.generate(ws, state, body, raw.length);
    } finally {
      state.busy = false;
    }
  }

  private async warmup(ws: WebSocket, state: SocketState, body: Json, bytes: number): Promise<void> {
    this.warmups += 1;
    if (this.refuse(ws, state.seat) === true) return;
    const id = newResponseId();
    state.responses.add(id);
    const usage = this.backend.usageFor(state.seat, body, bytes, 0);
    const head = {
      id,
      object: 'response',
      created_at: nowSeconds(),
      model: typeof body.model === 'string' ? body.model : 'gpt-5.1-codex',
      store: false,
      error: null,
      incomplete_details: null,
    };
    await this.backend.firstByteDelay(state.seat);
    send(
      ws,
      JSON.stringify({
        type: 'response.created',
        sequence_number: 0,
        response: { ...head, status: 'in_progress', output: [], usage: null },
      }),
    );
    send(
      ws,
      JSON.stringify({
        type: 'response.completed',
        sequence_number: 1,
        response: {
          ...head,
          status: 'completed',
          output: [],
          usage: {
            ...usage,
            output_tokens: 0,
            total_tokens: usage.input_tokens,
            output_tokens_details: { reasoning_tokens: 0 },
          },
        },
      }),
    );
  }

  /**
   * Injected failures and an exhausted quota, for turns and warm-ups alike: true when an error
   * frame was sent, 'in-stream' when the response must end in response.failed.
   */
  private refuse(ws: WebSocket, seat: SeatState): boolean | 'in-stream' {
    const injected = seat.failQueue[0];
    if (injected) {
      const remaining = (injected.count ?? 1) - 1;
      if (remaining <= 0) seat.failQueue.shift();
      else injected.count = remaining;
      if (injected.status === 'response.failed') return 'in-stream';
      this.injectedError(ws, seat, injected.status, injected.resetsInSeconds ?? 3600);
      return true;
    }
    rollWindows(seat);
    if (seat.primaryUsed >= 100 || seat.secondaryUsed >= 100) {
      const resetAt = seat.secondaryUsed >= 100 ? seat.secondaryResetAt : seat.primaryResetAt;
      this.injectedError(ws, seat, 429, Math.max(0, resetAt - nowSeconds()));
      return true;
    }
    return false;
  }

  private async generate(ws: WebSocket, state: SocketState, body: Json, bytes: number): Promise<void> {
    const seat = state.seat;
    seat.requestCount += 1;
    this.turns += 1;
    const refused = this.refuse(ws, seat);
    if (refused === true) return;
    const failed = refused === 'in-stream';
    const output = planOutput(body);
    const usage = this.backend.usageFor(seat, body, bytes, outputCharsOf(output));
    this.backend.grow(seat);
    const responseId = newResponseId();
    state.responses.add(responseId);
    const plan = {
      responseId,
      model: typeof body.model === 'string' ? body.model : 'gpt-5.1-codex',
      createdAt: nowSeconds(),
      output,
      usage,
      rateLimits: {
        planType: seat.seat.planType,
        primaryUsed: seat.primaryUsed,
        primaryResetAt: seat.primaryResetAt,
        secondaryUsed: seat.secondaryUsed,
        secondaryResetAt: seat.secondaryResetAt,
        credits: seat.credits,
      },
    };
    const frames = (failed ? buildFailedFrames(plan) : buildFrames(plan)).map(dataOf);
    await this.backend.firstByteDelay(seat);
    const cut = seat.disconnect;
    if (cut) {
      cut.remaining -= 1;
      if (cut.remaining <= 0) seat.disconnect = null;
      for (const frame of frames.slice(0, cut.afterEvents)) send(ws, frame);
      await new Promise((r) => setTimeout(r, 20));
      ws.terminate();
      return;
    }
    for (const frame of frames) {
      if (ws.readyState !== ws.OPEN) return;
      send(ws, frame);
      await this.backend.pace();
    }
  }

  private injectedError(ws: WebSocket, seat: SeatState, status: number, resetsIn: number): void {
    if (status === 429) {
      send(
        ws,
        rateLimitEventJson({
          planType: seat.seat.planType,
          primaryUsed: seat.primaryUsed,
          primaryResetAt: seat.primaryResetAt,
          secondaryUsed: seat.secondaryUsed,
          secondaryResetAt: seat.secondaryResetAt,
          credits: seat.credits,
        }),
      );
      send(
        ws,
        JSON.stringify({
          type: 'error',
          status: 429,
          error: {
            type: 'usage_limit_reached',
            code: 'usage_limit_reached',
            message: 'The usage limit has been reached',
            plan_type: seat.seat.planType,
            resets_at: nowSeconds() + resetsIn,
            resets_in_seconds: resetsIn,
          },
        }),
      );
      return;
    }
    if (status === 401) {
      return this.error(ws, 401, 'invalid_request_error', 'Provided authentication token is expired.', 'token_expired');
    }
    this.error(ws, status, 'server_error', 'An error occurred while processing your request.', 'server_error');
  }

  private error(ws: WebSocket, status: number, type: string, message: string, code: string | null = null): void {
    send(ws, JSON.stringify({ type: 'error', status, error: { type, code, message, param: null } }));
  }
}

function send(ws: WebSocket, text: string): void {
  if (ws.readyState === ws.OPEN) ws.send(text);
}

/** The JSON of an SSE frame's data line (the same JSON a WebSocket frame carries). */
function dataOf(frame: string): string {
  const start = frame.indexOf('data: ') + 6;
  return frame.slice(start, frame.lastIndexOf('}') + 1);
}

/** An HTTP answer on the raw socket of a refused upgrade. */
export function rawAnswer(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const reason =
    status === 426 ? 'Upgrade Required' : status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n` +
      `connection: close\r\n\r\n${text}`,
  );
}
