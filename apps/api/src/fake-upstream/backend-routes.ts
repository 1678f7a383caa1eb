// /backend-api routes: Responses SSE, compact, models and wham usage, with auth and quota simulation.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { UpstreamContext } from './context';
import { bearer, parseJsonObject, readBody, sendJson } from './http-util';
import { randomId } from './jwt';
import { MODELS_BODY, MODELS_ETAG } from './models';
import { estimateTokens, lastUserText, planOutput } from './reply';
import { buildFailedFrames, buildFrames, newResponseId, type RateLimitSnapshot, type Usage } from './sse';
import { nowSeconds, rememberPromptCache, rollWindows, type SeatState } from './state';
import type { RecordedRequest } from './types';

const UNSUPPORTED_FIELDS = [
  'max_output_tokens',
  'temperature',
  'top_p',
  'truncation',
  'metadata',
  'user',
  'safety_identifier',
  'prompt_cache_retention',
];

const AUTH_ERRORS = {
  token_expired: 'Provided authentication token is expired. Please try signing in again.',
  token_invalidated: 'Your authentication token has been invalidated. Please try signing in again.',
  invalid_token: 'Could not parse your authentication token. Please try signing in again.',
} as const;

type Json = Record<string, unknown>;

export class BackendRoutes {
  /** Global first-byte delay; a seat's own delay wins when larger. */
  slowFirstByteMs = 0;
  readonly log: RecordedRequest[] = [];

  constructor(private readonly ctx: UpstreamContext) {}

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const seat = this.authenticate(req, res);
    if (!seat) {
      req.resume();
      return;
    }
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/backend-api/codex/models') {
      this.record(req, path, seat, null);
      // The catalogue's ETag; a client that has it gets a 304.
      if (req.headers['if-none-match'] === MODELS_ETAG) {
        res.writeHead(304, { etag: MODELS_ETAG });
        return void res.end();
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(MODELS_BODY),
        etag: MODELS_ETAG,
        ...this.rateHeaders(seat),
      });
      return void res.end(MODELS_BODY);
    }
    if (method === 'GET' && path === '/backend-api/wham/usage') {
      this.record(req, path, seat, null);
      return sendJson(res, 200, usageBody(seat));
    }
    if (
      method === 'POST' &&
      (path === '/backend-api/codex/responses' || path === '/backend-api/codex/responses/compact')
    ) {
      const raw = await readBody(req);
      const body = parseJsonObject(raw.toString('utf8'));
      this.record(req, path, seat, body);
      seat.requestCount += 1;
      if (!body) return sendJson(res, 400, { detail: 'Request body must be a JSON object' });
      if (path.endsWith('/compact')) return this.compact(res, seat, body, raw.length);
      return this.responses(res, seat, body, raw.length);
    }
    sendJson(res, 404, { detail: 'Not Found' });
  }

  private authenticate(req: IncomingMessage, res: ServerResponse): SeatState | null {
    const check = this.checkSeat(req);
    if ('seat' in check) return check.seat;
    sendJson(res, check.status, check.body);
    return null;
  }

  /** The seat a request's token and chatgpt-account-id name, or the upstream's refusal. */
  checkSeat(req: IncomingMessage): { seat: SeatState } | { status: number; body: Json } {
    const token = bearer(req);
    const check = token ? this.ctx.store.checkAccess(token) : ({ ok: false, code: 'invalid_token' } as const);
    if (!check.ok) {
      return {
        status: 401,
        body: { error: { message: AUTH_ERRORS[check.code], type: null, code: check.code, param: null }, status: 401 },
      };
    }
    const seat = check.seat;
    if (seat.deactivated) {
      return {
        status: 401,
        body: {
          error: {
            message: 'Your OpenAI account has been deactivated.',
            type: null,
            code: 'account_deactivated',
            param: null,
          },
          status: 401,
        },
      };
    }
    const accountHeader = req.headers['chatgpt-account-id'];
    if (accountHeader !== seat.seat.chatgptAccountId) {
      return {
        status: 403,
        body: {
          error: {
            message: 'chatgpt-account-id does not match the token',
            type: null,
            code: 'account_mismatch',
            param: null,
          },
          status: 403,
        },
      };
    }
    return { seat };
  }

  record(req: IncomingMessage, path: string, seat: SeatState, body: unknown, transport?: 'websocket'): void {
    if (!this.ctx.opts.recordRequests) return;
    this.log.push({
      at: Date.now(),
      method: req.method ?? 'GET',
      path,
      chatgptAccountId: seat.seat.chatgptAccountId,
      accessToken: bearer(req),
      headers: req.headers,
      body,
      ...(transport ? { transport } : {}),
    });
    if (this.log.length > this.ctx.opts.requestLogCap)
      this.log.splice(0, this.log.length - this.ctx.opts.requestLogCap);
  }

  /**
   * Shared gate for generation requests: validation, injected failures, exhausted quota.
   * True when an answer was sent; 'in-stream' when the stream must end in response.failed.
   */
  private reject(res: ServerResponse, seat: SeatState, body: Json, streaming: boolean): boolean | 'in-stream' {
    if (streaming && body.stream !== true) return bad(res, 'Stream must be set to true');
    // Codex's compact request carries no `store`, so only the streaming endpoint insists on it.
    if (streaming && body.store !== false) return bad(res, 'Store must be set to false');
    for (const field of UNSUPPORTED_FIELDS) {
      if (field in body) return bad(res, `Unsupported parameter: ${field}`);
    }
    // Warm-ups exist on the WebSocket transport only.
    if ('generate' in body) return bad(res, 'Unsupported parameter: generate');
    const injected = seat.failQueue[0];
    if (injected) {
      const remaining = (injected.count ?? 1) - 1;
      if (remaining <= 0) seat.failQueue.shift();
      else injected.count = remaining;
      if (injected.status === 'response.failed' && streaming) return 'in-stream';
      const resetsIn = injected.resetsInSeconds ?? 3600;
      failure(
        res,
        injected.status === 'response.failed' ? 500 : injected.status,
        seat,
        resetsIn,
        this.rateHeaders(seat),
      );
      return true;
    }
    rollWindows(seat);
    if (seat.primaryUsed >= 100 || seat.secondaryUsed >= 100) {
      const resetAt = seat.secondaryUsed >= 100 ? seat.secondaryResetAt : seat.primaryResetAt;
      failure(res, 429, seat, Math.max(0, resetAt - nowSeconds()), this.rateHeaders(seat));
      return true;
    }
    return false;
  }

  private async responses(res: ServerResponse, seat: SeatState, body: Json, bytes: number): Promise<void> {
    const rejected = this.reject(res, seat, body, true);
    if (rejected === true) return;
    const output = planOutput(body);
    const outputChars = outputCharsOf(output);
    const usage = this.usageFor(seat, body, bytes, outputChars);
    this.grow(seat);
    const plan = {
      responseId: newResponseId(),
      model: typeof body.model === 'string' ? body.model : 'gpt-5.1-codex',
      createdAt: nowSeconds(),
      output,
      usage,
      rateLimits: snapshot(seat),
    };
    const frames = this.shape(rejected === 'in-stream' ? buildFailedFrames(plan) : buildFrames(plan));
    const headers: OutgoingHttpHeaders = {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': randomId(16),
      'x-codex-turn-state': turnState(seat),
      ...this.rateHeaders(seat),
    };
    await this.firstByteDelay(seat);
    if (res.destroyed) return;
    res.writeHead(200, headers);

    const cut = seat.disconnect;
    if (cut) {
      cut.remaining -= 1;
      if (cut.remaining <= 0) seat.disconnect = null;
      for (let i = 0; i < Math.min(cut.afterEvents, frames.length); i += 1) {
        res.write(frames[i]);
        await this.pace();
      }
      // Let the written frames leave before killing the socket, so the client sees a partial stream.
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    }
    const delay = this.ctx.opts.eventDelayMs;
    if (delay <= 0) {
      res.end(frames.join(''));
      return;
    }
    for (const f of frames) {
      if (res.destroyed) return;
      res.write(f);
      await this.pace();
    }
    res.end();
  }

  /** Test shapes of the same stream: CRLF framing, a padded (multi-MB) terminal event. */
  private shape(frames: string[]): string[] {
    const { crlf, terminalPaddingChars } = this.ctx.opts;
    if (terminalPaddingChars && terminalPaddingChars > 0) {
      const last = frames.length - 1;
      const pad = JSON.stringify('x'.repeat(terminalPaddingChars));
      frames[last] = frames[last].replace('"response":{', `"response":{"instructions":${pad},`);
    }
    return crlf ? frames.map((f) => f.replace(/\n/g, '\r\n')) : frames;
  }

  private async compact(res: ServerResponse, seat: SeatState, body: Json, bytes: number): Promise<void> {
    if (this.reject(res, seat, body, false)) return;
    if (!Array.isArray(body.input)) return void bad(res, 'input must be an array');
    const summary = `Summary of ${body.input.length} items. Last user message: ${lastUserText(body.input).slice(0, 200)}`;
    const usage = this.usageFor(seat, body, bytes, summary.length);
    this.grow(seat);
    // Codex keeps the user messages and replaces the rest with one opaque compaction item.
    const kept = body.input.filter((item) => (item as Json)?.type === 'message' && (item as Json).role === 'user');
    await this.firstByteDelay(seat);
    sendJson(
      res,
      200,
      {
        id: newResponseId(),
        object: 'response.compaction',
        created_at: nowSeconds(),
        output: [...kept, { type: 'compaction', encrypted_content: Buffer.from(summary).toString('base64') }],
        usage,
      },
      this.rateHeaders(seat),
    );
  }

  usageFor(seat: SeatState, body: Json, bytes: number, outputChars: number): Usage {
    const input = estimateTokens(bytes);
    const key = typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : null;
    const cached = key ? rememberPromptCache(seat, key, input) : 0;
    const reasoning = body.reasoning && typeof body.reasoning === 'object' ? 16 : 0;
    const output = estimateTokens(outputChars) + reasoning;
    return {
      input_tokens: input,
      input_tokens_details: { cached_tokens: cached },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: reasoning },
      total_tokens: input + output,
    };
  }

  grow(seat: SeatState): void {
    const g = this.ctx.opts.usageGrowth;
    seat.primaryUsed = Math.min(100, seat.primaryUsed + g.primary);
    seat.secondaryUsed = Math.min(100, seat.secondaryUsed + g.secondary);
  }

  firstByteDelay(seat: SeatState): Promise<void> | void {
    const ms = Math.max(this.slowFirstByteMs, seat.slowFirstByteMs);
    if (ms > 0) return new Promise((r) => setTimeout(r, ms));
  }

  pace(): Promise<void> | void {
    const ms = this.ctx.opts.eventDelayMs;
    if (ms > 0) return new Promise((r) => setTimeout(r, ms));
  }

  rateHeaders(seat: SeatState): Record<string, string> {
    rollWindows(seat);
    return {
      'x-codex-primary-used-percent': String(round(seat.primaryUsed)),
      'x-codex-primary-window-minutes': '300',
      'x-codex-primary-reset-at': String(seat.primaryResetAt),
      'x-codex-secondary-used-percent': String(round(seat.secondaryUsed)),
      'x-codex-secondary-window-minutes': '10080',
      'x-codex-secondary-reset-at': String(seat.secondaryResetAt),
      'x-codex-credits-has-credits': String(seat.credits.hasCredits),
      'x-codex-credits-balance': seat.credits.balance,
      'x-codex-credits-unlimited': String(seat.credits.unlimited),
    };
  }
}

export function outputCharsOf(output: ReturnType<typeof planOutput>): number {
  if (output.kind === 'text') return output.text.length;
  if (output.kind === 'compaction') return output.encryptedContent.length;
  return output.arguments.length;
}

/** A turn-state token naming the seat that produced it (opaque to clients). */
export function turnState(seat: SeatState): string {
  return `ts_${Buffer.from(seat.seat.chatgptAccountId).toString('base64url')}_${randomId(8)}`;
}

function bad(res: ServerResponse, detail: string): true {
  sendJson(res, 400, { detail });
  return true;
}

function failure(
  res: ServerResponse,
  status: number,
  seat: SeatState,
  resetsIn: number,
  headers: Record<string, string>,
): void {
  if (status === 429) {
    sendJson(
      res,
      429,
      {
        error: {
          type: 'usage_limit_reached',
          message: 'The usage limit has been reached',
          plan_type: seat.seat.planType,
          resets_at: nowSeconds() + resetsIn,
          resets_in_seconds: resetsIn,
        },
      },
      { ...headers, 'retry-after': String(resetsIn) },
    );
  } else if (status === 401) {
    sendJson(res, 401, {
      error: { message: AUTH_ERRORS.token_expired, type: null, code: 'token_expired', param: null },
      status: 401,
    });
  } else {
    sendJson(res, status, {
      error: {
        message: 'An error occurred while processing your request.',
        type: 'server_error',
        code: null,
        param: null,
      },
    });
  }
}

function snapshot(seat: SeatState): RateLimitSnapshot {
  return {
    planType: seat.seat.planType,
    primaryUsed: seat.primaryUsed,
    primaryResetAt: seat.primaryResetAt,
    secondaryUsed: seat.secondaryUsed,
    secondaryResetAt: seat.secondaryResetAt,
    credits: seat.credits,
  };
}

function window(used: number, minutes: number, resetAt: number) {
  const now = nowSeconds();
  return {
    used_percent: round(used),
    limit_window_seconds: minutes * 60,
    reset_after_seconds: Math.max(0, resetAt - now),
    reset_at: resetAt,
  };
}

export function usageBody(seat: SeatState) {
  rollWindows(seat);
  const reached = seat.primaryUsed >= 100 || seat.secondaryUsed >= 100;
  return {
    plan_type: seat.seat.planType,
    rate_limit: {
      allowed: !reached,
      limit_reached: reached,
      primary_window: window(seat.primaryUsed, 300, seat.primaryResetAt),
      secondary_window: window(seat.secondaryUsed, 10080, seat.secondaryResetAt),
    },
    credits: {
      has_credits: seat.credits.hasCredits,
      unlimited: seat.credits.unlimited,
      balance: seat.credits.balance,
    },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
