// One client WebSocket bridged to one upstream WebSocket on one account, for the client socket's
// whole life (the upstream keeps the conversation per socket, so a turn can never move to another
// account). Frames pass through as bytes. Each `response.create` is a turn on the one request
// lifecycle (ProxyService.run): a concurrency slot, the key's limits reserved and settled, the
// usage observed and one request-log row; warm-ups (`generate: false`) pass through unbilled.
// Whoever closes first, the other side is closed; nothing (listener, timer, upstream socket)
// outlives the session.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import type { RawData, WebSocket } from 'ws';
import { ApiError } from '../../../common/api-error';
import type { AuthenticatedKey } from '../../api-keys/api-key.types';
import type { Release } from '../admission/concurrency-gate';
import type { ConcurrencyGate } from '../admission/concurrency-gate';
import { Exchange } from '../exchange';
import { badBody, resetFrom429, streamError } from '../proxy-errors';
import { isLogged, type Adapter, type OpenUpstream, type ProxyService, type UpstreamAnswer } from '../proxy.service';
import type { AccountPool, PooledAccount } from '../routing/account-pool';
import { UNSUPPORTED_FIELDS } from '../upstream/upstream-request';
import { BODY_LIMITS, findString, JsonMembers } from '../wire/json-members';
import { SseObserver } from '../wire/sse-observer';
import { errorFrame } from './raw-answer';

const TYPE = Buffer.from('type');
/** Frames whose JSON the observer reads (usage, ids, quota, errors); deltas are only forwarded. */
const OBSERVED = new Set([
  'response.completed',
  'response.done',
  'response.failed',
  'response.incomplete',
  'error',
  'codex.rate_limits',
]);
const TERMINAL = new Set(['response.completed', 'response.done', 'response.failed', 'response.incomplete', 'error']);
/** Client bytes buffered before the upstream read pauses. */
const HIGH_WATER = 1024 * 1024;
/**
 * Bytes that may wait unsent on either socket before a client's message is refused: a client that
 * keeps sending (error frames back to it, or messages passed on to the upstream) while the other
 * side does not take them would otherwise grow the gateway's memory without end.
 */
const MAX_BACKLOG = 16 * HIGH_WATER;

export interface SessionDeps {
  proxy: ProxyService;
  pool: AccountPool;
  gate: ConcurrencyGate;
  stallTimeoutMs: number;
  /** The session ended (closed from either side); called once. */
  onClosed(session: SocketSession): void;
  /**
   * A new upstream socket on another account (not one of `exclude`), for the failover allowed
   * before the socket's first event; null when none could be opened.
   */
  reconnect(exclude: ReadonlySet<string>): Promise<{ ws: WebSocket; account: PooledAccount } | null>;
}

/**
 * The exchange's response, for a turn: there is no HTTP response, the client's answer is frames
 * on the socket. It says whether a frame was sent (a cancelled turn's status), and destroying it
 * (a stalled or shut-down exchange) closes the socket.
 */
export class TurnReply extends EventEmitter {
  headersSent = false;
  statusCode = 200;
  destroyed = false;
  writableFinished = false;
  writableEnded = false;
  writableCorked = 0;
  constructor(private readonly onDestroy: () => void) {
    super();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.onDestroy();
  }
}

/** One turn's upstream answer: the upstream frames from `response.create` to the terminal one. */
class TurnAnswer implements UpstreamAnswer {
  readonly statusCode = 200;
  private sink: ((chunk: Buffer) => boolean | void) | null = null;
  /** Frames that came before forEach (none in practice: the turn's frames follow I/O). */
  private early: Buffer[] = [];
  private settle: { resolve: () => void; reject: (error: Error) => void } | null = null;
  private ended = false;
  private failure: Error | null = null;

  constructor(
    private readonly headers: Record<string, string>,
    private readonly onResume: () => void,
  ) {}

  header(name: string): string | undefined {
    return this.headers[name];
  }

  forEach(sink: (chunk: Buffer) => boolean | void): Promise<void> {
    const early = this.early;
    this.early = [];
    for (const frame of early) sink(frame);
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve();
    this.sink = sink;
    return new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  private firstWaiter: { resolve: (frame: Buffer) => void; reject: (error: Error) => void } | null = null;

  /** The turn's first upstream frame, before the answer is read (open() decides on it). */
  first(): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.early.length > 0) return Promise.resolve(this.early[0]);
    return new Promise((resolve, reject) => (this.firstWaiter = { resolve, reject }));
  }

  /** Forgets the frames held before the answer is read (a refusal answered by another account). */
  discardEarly(): void {
    this.early = [];
  }

  /** An upstream frame of this turn; false when the client is behind (reading pauses). */
  push(frame: Buffer): boolean {
    if (this.ended || this.failure) return true;
    if (!this.sink) {
      this.early.push(frame);
      const waiter = this.firstWaiter;
      this.firstWaiter = null;
      waiter?.resolve(frame);
      return true;
    }
    return this.sink(frame) !== false;
  }

  /** The terminal frame was handed on. */
  end(): void {
    if (this.ended || this.failure) return;
    this.ended = true;
    this.settle?.resolve();
  }

  /** The upstream socket closed mid-turn, or the turn was aborted. */
  fail(error: Error): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    this.firstWaiter?.reject(error);
    this.firstWaiter = null;
    this.settle?.reject(error);
  }

  resume(): void {
    this.onResume();
  }

  destroy(): void {
    this.fail(new Error('The turn was aborted.'));
  }
}

interface Turn {
  kind: 'warmup' | 'billed';
  /** A warm-up's frame, sent again to another account if the first one refuses it. */
  frame?: Buffer;
  answer: TurnAnswer | null;
  exchange: Exchange | null;
}

export class SocketSession {
  readonly openedAt = Date.now();
  lastActivity = Date.now();
  /** A ping was sent and its pong has not come back. */
  awaitingPong = false;
  private turn: Turn | null = null;
  private closed = false;
  /** Whether any upstream frame reached the client: until then the account may still change. */
  private delivered = false;
  /** Accounts this socket's upstream failed on before its first event. */
  private readonly failedAccounts = new Set<string>();
  /** Stop taking turns (shutdown, revoked key): the socket closes once the turn in flight ends. */
  private closing: { code: number; reason: string } | null = null;
  private upstreamPaused = false;

  constructor(
    readonly client: WebSocket,
    public upstream: WebSocket,
    readonly req: IncomingMessage,
    public key: AuthenticatedKey,
    public account: PooledAccount,
    readonly route: string,
    readonly ip: string | null,
    private readonly upstreamHeaders: Record<string, string>,
    private readonly deps: SessionDeps,
  ) {
    client.on('message', this.onClientMessage);
    client.on('close', this.onClientClose);
    client.on('error', this.onClientError);
    client.on('pong', this.onPong);
    this.attachUpstream(upstream);
  }

  private attachUpstream(upstream: WebSocket): void {
    upstream.on('message', this.onUpstreamMessage);
    upstream.on('close', this.onUpstreamClose);
    upstream.on('error', this.onUpstreamError);
  }

  private detachUpstream(upstream: WebSocket): void {
    upstream.removeListener('message', this.onUpstreamMessage);
    upstream.removeListener('close', this.onUpstreamClose);
    // 'error' stays handled until the socket is gone.
  }

  /** Both sockets are closed (their close handshakes are over). */
  get fullyClosed(): boolean {
    return this.client.readyState === this.client.CLOSED && this.upstream.readyState === this.upstream.CLOSED;
  }

  get busy(): boolean {
    return this.turn !== null;
  }

  get ownerId(): string {
    return this.key.ownerUserId;
  }

  /**
   * Ends the session at once with an error frame: a revoked key or deactivated owner gets nothing
   * more, and a turn in flight is cut.
   */
  revoke(error: ApiError, code: number): void {
    if (this.closed) return;
    this.send(errorFrame(error));
    this.turn?.exchange?.abort('shutdown');
    this.close(code, error.message);
  }

  /**
   * Ends the session once the turn in flight (if any) has ended; no new turn starts meanwhile
   * (shutdown). The close frame says why; an error frame could be taken for the turn's answer.
   */
  finish(code: number, reason: string): void {
    if (this.closed) return;
    if (!this.turn) this.close(code, reason);
    else this.closing = { code, reason };
  }

  /** Closes both sides (idempotent); a turn in flight is aborted. */
  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    const turn = this.turn;
    if (turn?.exchange && !turn.exchange.aborted) turn.exchange.abort('client_closed');
    turn?.answer?.fail(new Error('The socket closed.'));
    this.client.removeListener('message', this.onClientMessage);
    this.upstream.removeListener('message', this.onUpstreamMessage);
    safeClose(this.client, code, reason);
    safeClose(this.upstream, code === 1001 ? 1001 : 1000, '');
    this.deps.onClosed(this);
  }

  /** The idle sweep: a socket that did not answer the last ping is dead. */
  ping(): void {
    if (this.closed) return;
    if (this.awaitingPong) {
      this.client.terminate();
      this.close(1006);
      return;
    }
    this.awaitingPong = true;
    try {
      this.client.ping();
    } catch {
      this.close(1006);
    }
  }

  // ------------------------------------------------------------------ client -> upstream

  private readonly onClientMessage = (data: RawData, isBinary: boolean): void => {
    this.lastActivity = Date.now();
    if (this.closed) return;
    if (this.client.bufferedAmount > MAX_BACKLOG || this.upstream.bufferedAmount > MAX_BACKLOG) {
      this.close(1008, 'Too many messages are waiting: read the answers before sending more.');
      return;
    }
    const frame = asBuffer(data);
    if (isBinary) return void this.send(errorFrame(badBody('Send response.create as a text frame.')));
    let json: JsonMembers;
    try {
      json = JsonMembers.scan(frame, null, BODY_LIMITS, this.key.ownerUserId);
    } catch (error) {
      return void this.send(errorFrame(badBody(`The message is not valid JSON: ${(error as Error).message}.`)));
    }
    let type: string | null;
    try {
      type = json.string('type');
    } catch {
      type = null;
    }
    if (type !== 'response.create') {
      // Anything else the client says goes to the upstream as it is.
      this.upstream.send(frame, { binary: false });
      return;
    }
    if (this.turn) {
      return void this.send(errorFrame(badBody('A response is already in progress on this connection.')));
    }
    if (this.closing) {
      return void this.send(errorFrame(new ApiError(503, 'shutting_down', this.closing.reason)));
    }
    let body: Buffer;
    try {
      body = UNSUPPORTED_FIELDS.some((field) => json.has(field)) ? json.rewrite(UNSUPPORTED_FIELDS, {}) : frame;
    } catch (error) {
      return void this.send(errorFrame(badBody(`The message is not valid: ${(error as Error).message}.`)));
    }
    if (json.raw('generate') === 'false') {
      this.turn = { kind: 'warmup', answer: null, exchange: null, frame: body };
      this.upstream.send(body, { binary: false });
      return;
    }
    void this.billedTurn(json, body);
  };

  /** A response.create through the request lifecycle: admitted, metered, logged. */
  private async billedTurn(json: JsonMembers, body: Buffer): Promise<void> {
    const reply = new TurnReply(() => this.close(1001, 'The gateway is shutting down.'));
    const exchange = new Exchange(this.req, reply as unknown as ServerResponse, '', this.ip, this.deps.stallTimeoutMs);
    const answer = new TurnAnswer(this.upstreamHeaders, () => this.resumeUpstream());
    const turn: Turn = { kind: 'billed', answer, exchange };
    this.turn = turn;
    const proxy = this.deps.proxy;
    const key = this.key;
    let release: Release | null = null;
    try {
      let model: string | null;
      try {
        model = json.string('model');
      } catch (error) {
        throw badBody(`The message is not valid: ${(error as Error).message}.`);
      }
      proxy.checkModel(key, model);
      release = await this.deps.gate.acquire(key.ownerUserId, key.id, exchange);
      if (exchange.aborted) return;
      const { hardKeys, softKey } = proxy.stickiness(key, this.req.headers, json, null);
      const open: OpenUpstream = { account: this.account, readQuota: true, response: answer };
      let observer: SseObserver;
      const adapter: Adapter = {
        start: (opened) => {
          observer = new SseObserver(false, opened.readQuota, key.ownerUserId);
        },
        chunk: (frame) => this.forwardTurnFrame(frame, observer, answer, exchange, reply),
        finish: (cut) => {
          observer.end();
          if (observer.quota) proxy.observeQuota(this.account.id, observer.quota);
          if (cut || observer.terminal === null) {
            this.send(
              JSON.stringify({
                type: 'error',
                status: 502,
                error: streamError(
                  'upstream_disconnected',
                  'The upstream closed the socket before the response completed.',
                ),
              }),
            );
          }
          return {
            terminal: observer.terminal,
            errorCode: observer.errorCode,
            usage: observer.usage,
            responseId: observer.responseId,
            model: observer.model,
            httpStatus: this.turnStatus ?? 200,
          };
        },
      };
      this.turnStatus = null;
      await proxy.run(
        {
          exchange,
          key,
          route: this.route,
          model,
          stream: true,
          path: '/codex/responses',
          body,
          accept: 'text/event-stream',
          hardKeys,
          softKey,
          open: async () => {
            exchange.upstream = answer;
            for (;;) {
              if (this.upstream.readyState !== this.upstream.OPEN) {
                throw new ApiError(502, 'upstream_disconnected', 'The upstream socket is closed.');
              }
              this.upstream.send(body, { binary: false });
              // Only before the socket's first event may the turn move to another account.
              if (this.delivered) break;
              const first = await answer.first();
              if (!this.canFailOver(first)) break;
              if (!(await this.switchAccount(first))) break;
              answer.discardEarly();
            }
            open.account = this.account;
            return open;
          },
        },
        adapter,
      );
    } catch (error) {
      if (!isLogged(error)) proxy.refused(exchange, key, this.route, error);
      if (!exchange.aborted) this.send(errorFrame(error));
    } finally {
      release?.();
      exchange.dispose();
      if (this.turn === turn) this.turn = null;
      this.afterTurn();
    }
  }

  /** The status of a turn that ended in an error frame (its `status`), for the log row. */
  private turnStatus: number | null = null;

  private forwardTurnFrame(
    frame: Buffer,
    observer: SseObserver,
    answer: TurnAnswer,
    exchange: Exchange,
    reply: TurnReply,
  ): boolean {
    const type = frameType(frame);
    if (type !== null && OBSERVED.has(type)) {
      observer.push(`event: ${type}\ndata: `);
      observer.push(frame);
      observer.push('\n\n');
      if (type === 'error') this.onErrorFrame(frame);
    }
    reply.headersSent = true;
    this.delivered = true;
    exchange.bytesWritten += frame.length;
    const flowing = this.sendTurnFrame(frame);
    if (type !== null && TERMINAL.has(type)) queueMicrotask(() => answer.end());
    return flowing;
  }

  /**
   * An error frame says something about the account: a usage limit cools it down, a refused token
   * or account marks it, a server error backs it off. The socket is bound to that account, so the
   * client's socket closes after the error frame and its retry opens a new one elsewhere.
   */
  private onErrorFrame(frame: Buffer): void {
    let event: { status?: unknown; error?: { code?: unknown; type?: unknown } };
    try {
      event = JSON.parse(frame.toString('utf8'));
    } catch {
      return;
    }
    const status = typeof event.status === 'number' ? event.status : null;
    this.turnStatus = status;
    const code = String(event.error?.code ?? event.error?.type ?? '');
    const pool = this.deps.pool;
    let closeAfter = code === 'websocket_connection_limit_reached';
    if (status === 429) {
      pool.coolDown(
        this.account.id,
        resetFrom429(event),
        'The upstream usage limit is reached until the window resets.',
      );
      closeAfter = true;
    } else if (status === 402 || status === 403) {
      pool.report(this.account.id, { type: 'account_refused', status, message: `The upstream answered ${status}.` });
      closeAfter = true;
    } else if (status === 401) {
      pool.backOff(this.account.id);
      closeAfter = true;
    } else if (status !== null && status >= 500) {
      pool.backOff(this.account.id);
    }
    if (closeAfter) this.closing ??= { code: 1011, reason: 'The upstream account cannot serve this socket any more.' };
  }

  /** A first frame that refuses the account (limit, token, account, server error). */
  private canFailOver(frame: Buffer): boolean {
    if (frameType(frame) !== 'error' || this.failedAccounts.size >= 2) return false;
    let status: unknown;
    try {
      status = (JSON.parse(frame.toString('utf8')) as { status?: unknown }).status;
    } catch {
      return false;
    }
    return (
      typeof status === 'number' &&
      (status === 429 || status === 401 || status === 402 || status === 403 || status >= 500)
    );
  }

  /**
   * Before the socket's first event the conversation has no state upstream yet: the refused
   * account is reported, another one is connected and the warm-up sent to it. The client sees
   * the first account's error only when no other account can take the socket.
   */
  private async failOver(warmup: Buffer, refusal: Buffer): Promise<void> {
    if (await this.switchAccount(refusal)) {
      this.upstream.send(warmup, { binary: false });
      return;
    }
    if (this.closed) return;
    this.delivered = true;
    this.send(refusal);
    this.turn = null;
    this.close(1011, 'No upstream account can take this socket.');
  }

  /**
   * Reports the refusal on the account, closes its upstream socket and opens one on another
   * account of the key's pool; false when none could be opened (or the session closed meanwhile).
   */
  private async switchAccount(refusal: Buffer): Promise<boolean> {
    this.onErrorFrame(refusal);
    this.closing = null;
    this.failedAccounts.add(this.account.id);
    const old = this.upstream;
    this.detachUpstream(old);
    safeClose(old, 1000, '');
    const next = await this.deps.reconnect(this.failedAccounts).catch(() => null);
    if (this.closed) {
      next?.ws.terminate();
      return false;
    }
    if (!next) return false;
    this.upstream = next.ws;
    this.account = next.account;
    this.attachUpstream(next.ws);
    return true;
  }

  private afterTurn(): void {
    if (this.closing && !this.turn) this.close(this.closing.code, this.closing.reason);
  }

  // ------------------------------------------------------------------ upstream -> client

  private readonly onUpstreamMessage = (data: RawData, isBinary: boolean): void => {
    this.lastActivity = Date.now();
    const frame = asBuffer(data);
    const turn = this.turn;
    if (turn?.kind === 'billed' && turn.answer) {
      if (!turn.answer.push(frame)) this.pauseUpstream();
      return;
    }
    if (turn?.kind === 'warmup' && !this.delivered && turn.frame && this.canFailOver(frame)) {
      void this.failOver(turn.frame, frame);
      return;
    }
    this.delivered = true;
    this.send(frame, this.client, isBinary);
    if (turn?.kind === 'warmup') {
      const type = frameType(frame);
      if (type === 'codex.rate_limits') {
        const observer = new SseObserver(false, true, this.key.ownerUserId);
        observer.push(`event: ${type}\ndata: `);
        observer.push(frame);
        observer.push('\n\n');
        observer.end();
        if (observer.quota) this.deps.proxy.observeQuota(this.account.id, observer.quota);
      }
      if (type !== null && TERMINAL.has(type)) {
        if (type === 'error') this.onErrorFrame(frame);
        this.turn = null;
        this.afterTurn();
      }
    }
  };

  private pauseUpstream(): void {
    if (this.upstreamPaused) return;
    this.upstreamPaused = true;
    this.upstream.pause();
  }

  private resumeUpstream(): void {
    if (!this.upstreamPaused) return;
    this.upstreamPaused = false;
    this.upstream.resume();
  }

  private readonly onUpstreamClose = (code: number): void => {
    if (this.closed) return;
    const turn = this.turn;
    if (turn?.answer) {
      // The turn ends as cut (its error frame is sent by the adapter), then the client closes.
      this.closing = { code: 1011, reason: 'The upstream closed the socket.' };
      turn.answer.fail(new Error('The upstream closed the socket.'));
      return;
    }
    this.close(code === 1000 || code === 1001 ? code : 1011, 'The upstream closed the socket.');
  };

  private readonly onUpstreamError = (): void => {
    // 'close' follows.
  };

  private readonly onClientClose = (): void => this.close(1000);

  private readonly onClientError = (): void => {
    this.client.terminate();
  };

  private readonly onPong = (): void => {
    this.awaitingPong = false;
  };

  /**
   * A turn's frame to the client; false when the client is behind (the upstream read pauses).
   * Near the mark, the frame's write callback resumes the upstream once the client caught up.
   */
  private sendTurnFrame(frame: Buffer): boolean {
    const client = this.client;
    if (client.readyState !== client.OPEN) return true;
    if (client.bufferedAmount < HIGH_WATER / 2) {
      client.send(frame, { binary: false });
    } else {
      client.send(frame, { binary: false }, () => {
        if (this.upstreamPaused && client.bufferedAmount < HIGH_WATER) this.resumeUpstream();
      });
    }
    return client.bufferedAmount < HIGH_WATER;
  }

  /** Sends a text frame; false when the socket is not open. */
  private send(frame: Buffer | string, ws: WebSocket = this.client, binary = false): boolean {
    if (ws.readyState !== ws.OPEN) return false;
    ws.send(frame, { binary });
    return ws.bufferedAmount < HIGH_WATER;
  }
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function frameType(frame: Buffer): string | null {
  try {
    return findString(frame, 0, TYPE);
  } catch {
    return null;
  }
}

function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    if (ws.readyState === ws.OPEN) ws.close(validCode(code), reason.slice(0, 120));
    else if (ws.readyState === ws.CONNECTING) ws.terminate();
  } catch {
    ws.terminate();
  }
  // A peer that never answers the close frame is not waited on.
  if (ws.readyState !== ws.CLOSED) {
    const timer = setTimeout(() => ws.terminate(), 2_000).unref();
    ws.once('close', () => clearTimeout(timer));
  }
}

/** Close codes a server may send (1005, 1006 and 1015 are reserved for reporting). */
function validCode(code: number): number {
  return code === 1005 || code === 1006 || code === 1015 ? 1011 : code;
}
