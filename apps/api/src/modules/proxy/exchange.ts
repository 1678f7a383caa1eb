// One proxied request from the moment Node hands it over to its log row: its identity, the client's
// response, what it is waiting on, and how it ends. Created in proxy-http.ts before any await, so
// a client that goes away at any moment (during the key lookup, in the concurrency queue, before
// the upstream answered, mid-stream) is noticed: whatever the exchange is waiting on is released
// and the upstream request, if any, is aborted, which frees its pool connection.
//
// Writes to the client go through write(): backpressure pauses the upstream read, and a client
// that accepts nothing for the stall timeout is cut off (a slow reader cannot hold an upstream
// connection). An answer's writes in one event-loop turn, its end included, leave together at the
// turn's end (see write() and end()). ProxyService.run() owns the lifecycle; the protocol adapters
// only write.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from '../../common/api-error';
import { normalizeError, openAiErrorBody } from '../../common/http-exception.filter';
import { uuidv7 } from '../../common/uuid7';
import { invalidKey } from '../api-keys/api-key-auth.service';
import { sendJson, writeJsonHead } from './proxy-call';
import { shuttingDown } from './proxy-errors';

/**
 * Why an exchange ended early: the client left, stopped reading, the gateway is stopping, or the
 * key was revoked (or its owner deactivated) while it ran.
 */
export type AbortReason = 'client_closed' | 'stream_stalled' | 'shutdown' | 'key_revoked';

/** What a client whose answer had not begun is told, by abort reason. */
const EARLY_ANSWERS: Partial<Record<AbortReason, () => ApiError>> = {
  key_revoked: invalidKey,
  shutdown: shuttingDown,
};

/** Anything the exchange may have to let go of when it is aborted. */
interface Abortable {
  destroy(): unknown;
}

export class Exchange {
  /** Time-ordered: it is also the request-log row's key (common/uuid7.ts). */
  readonly id = uuidv7();
  readonly startedAt = performance.now();
  /** Set once; the first reason wins. */
  abortReason: AbortReason | null = null;
  /** The upstream answer being read (aborted with the exchange). */
  upstream: Abortable | null = null;
  /** A wait (the concurrency queue) to cancel when the exchange is aborted. */
  waiting: (() => void) | null = null;
  /** Bytes of an answer that reached the client's socket buffer. */
  bytesWritten = 0;
  /** The body's raw bytes (POST routes), once read. */
  body: Buffer | null = null;
  /** Its place in ProxyService's list of exchanges in flight (-1: not in it). */
  slot = -1;
  private stallTimer: NodeJS.Timeout | null = null;
  private onDrain: (() => void) | null = null;
  /** This turn's writes wait, corked, for flushTurn() at the turn's end. */
  private flushQueued = false;
  /** end() was called this turn: flushTurn() ends the answer (with `endChunk`). */
  private ending = false;
  private endChunk: Buffer | string | undefined = undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** The query string without its '?' ('' when there is none). */
    readonly search: string,
    readonly ip: string | null,
    private readonly stallTimeoutMs: number,
  ) {
    res.once('close', () => {
      if (!res.writableFinished) this.abort('client_closed');
    });
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  get aborted(): boolean {
    return this.abortReason !== null;
  }

  /** Ends the exchange early: stops any wait, aborts the upstream request, drops the client. */
  abort(reason: AbortReason): void {
    // A whole answer, waiting only for the turn's end to leave, is not cut.
    if (this.abortReason !== null || this.ending) return;
    this.abortReason = reason;
    this.clearStall();
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
    this.upstream?.destroy();
    const res = this.res;
    if (reason === 'client_closed' || res.destroyed) return;
    // An answer not yet begun gets its error (the connection then closes); a begun one is cut.
    const early = EARLY_ANSWERS[reason];
    if (early && !res.headersSent) {
      const error = normalizeError(early(), 'POST', '');
      res.setHeader('connection', 'close');
      sendJson(res, error.status, openAiErrorBody(error), this.id);
    } else {
      res.destroy();
    }
  }

  /**
   * Starts a streamed answer, all its headers in one object: a header set before writeHead() makes
   * Node merge them one setHeader() at a time.
   */
  streamHead(contentType: string, turnState: string | null = null): void {
    const headers: Record<string, string> = {
      'content-type': contentType,
      'cache-control': 'no-cache',
      'x-request-id': this.id,
    };
    if (turnState !== null) headers['x-codex-turn-state'] = turnState;
    this.res.writeHead(200, headers);
  }

  /**
   * Writes a chunk to the client; false when the client is slower than the upstream, and then
   * `resume` runs once it drains (the upstream read stays paused meanwhile). The socket stays
   * corked until the end of this event-loop turn, so chunks that arrive together leave in one
   * write. A client that does not drain within the stall timeout is cut off.
   */
  write(chunk: Buffer | string, resume: () => void): boolean {
    const res = this.res;
    if (this.abortReason !== null || this.ending || res.writableEnded || res.destroyed) return true;
    this.corkForTurn();
    this.bytesWritten += chunk.length;
    if (res.write(chunk)) return true;
    // Already waiting for this client to drain (chunks that arrived with the one that filled it).
    if (this.onDrain !== null) return false;
    this.onDrain = () => {
      this.clearStall();
      resume();
    };
    res.once('drain', this.onDrain);
    this.armStall(this.bytesWritten - res.writableLength);
    return false;
  }

  /**
   * Cuts the client off unless its socket takes some of the buffered bytes within the stall
   * timeout: a client that reads slowly but steadily is never cut, one that stopped reading is.
   */
  private armStall(flushed: number): void {
    this.stallTimer = setTimeout(() => {
      const now = this.bytesWritten - this.res.writableLength;
      if (now > flushed) this.armStall(now);
      else this.abort('stream_stalled');
    }, this.stallTimeoutMs);
  }

  /**
   * Ends a streamed answer (no-op when the client is gone). It leaves with the turn's other
   * writes, at the turn's end: Node's end() would flush the corked socket at once, and an answer
   * ended in the middle of a busy turn then wakes its client while the gateway still has the rest
   * of the turn to do (bench/BASELINE.md, twenty-first session).
   */
  end(chunk?: Buffer | string): void {
    const res = this.res;
    if (this.ending || res.writableEnded || res.destroyed) return;
    if (chunk !== undefined) this.bytesWritten += chunk.length;
    this.ending = true;
    this.endChunk = chunk;
    this.corkForTurn();
  }

  /** A whole JSON answer (already serialized), ended like a streamed one: at the turn's end. */
  answerJsonText(status: number, text: string): void {
    const res = this.res;
    if (this.ending || res.headersSent || res.destroyed) return;
    writeJsonHead(res, status, text, this.id);
    this.end(text);
  }

  /** Corks the socket until flushTurn() at the end of this event-loop turn (once per turn). */
  private corkForTurn(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.res.cork();
    setImmediate(Exchange.flushTurn, this);
  }

  /** setImmediate's callback: one function for every exchange, no closure per turn. */
  private static flushTurn(exchange: Exchange): void {
    exchange.flushTurn();
  }

  /** Lets this turn's writes go: the answer's end when it ended, else what was written. */
  private flushTurn(): void {
    this.flushQueued = false;
    const res = this.res;
    if (this.ending) {
      this.ending = false;
      const chunk = this.endChunk;
      this.endChunk = undefined;
      // end() uncorks fully.
      if (!res.writableEnded && !res.destroyed) res.end(chunk);
      return;
    }
    // A finished response's socket may already serve the next request.
    if (!res.writableEnded && res.writableCorked) res.uncork();
  }

  private clearStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    if (this.onDrain) this.res.removeListener('drain', this.onDrain);
    this.onDrain = null;
  }

  /** Releases the stall timer on every path (called by ProxyService.run's finally). */
  dispose(): void {
    this.clearStall();
  }
}
