// One upstream answer, read from Node's client request and response without piping them anywhere:
// the body's chunks go straight to the consumer's sink as they arrive; a sink that returns false
// pauses the response until resume() (the client's 'drain'). destroy() aborts the upstream request
// at any point, even while it still waits for a connection, and fails the body.
// Its deadlines (no headers, no bytes for too long) are kept by UpstreamClient's sweep: the answer
// notes the tick of its last progress on the client's coarse clock, one store per chunk.
import type { ClientRequest, IncomingMessage } from 'node:http';

export type UpstreamHeaders = Record<string, string | string[] | undefined>;

type Sink = (chunk: Buffer) => boolean | void;

/** A clock that advances once per sweep of UpstreamClient (no time is read per chunk). */
export interface SweepClock {
  tick: number;
}

const NO_CLOCK: SweepClock = { tick: 0 };

function headersOf(raw: string[] | null): UpstreamHeaders {
  const headers: UpstreamHeaders = {};
  if (!raw) return headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [seen, value];
  }
  return headers;
}

export class UpstreamResponse {
  statusCode = 0;
  private rawHeaders: string[] | null = null;
  private parsedHeaders: UpstreamHeaders | null = null;
  /** Resolves once the status and headers are in; rejects if the request fails before. */
  readonly ready: Promise<UpstreamResponse>;
  private settleReady!: { resolve: (value: UpstreamResponse) => void; reject: (error: Error) => void };
  private settleBody: { resolve: () => void; reject: (error: Error) => void } | null = null;
  private request: ClientRequest | null = null;
  private answer: IncomingMessage | null = null;
  private sink: Sink | null = null;
  private early: Buffer[] = [];
  private headersIn = false;
  private ended = false;
  private failure: Error | null = null;
  private deadline: NodeJS.Timeout | null = null;
  /** The clock's tick when the request was sent or last received something. */
  progressTick: number;
  /** The consumer asked for no more bytes for now (resume() lifts it). */
  paused = false;
  /** Its place in UpstreamClient's list of answers in flight (-1: not in it). */
  slot = -1;

  constructor(
    private readonly clock: SweepClock = NO_CLOCK,
    /** Called once when the answer is over: complete, failed or destroyed. */
    private readonly onSettled: ((response: UpstreamResponse) => void) | null = null,
  ) {
    this.progressTick = clock.tick;
    this.ready = new Promise((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
  }

  // ------------------------------------------------------------------ the request's side

  /** Sends `body` on `request` (sent at once on a free connection) and reads its answer. */
  send(request: ClientRequest, body: string | Buffer | undefined): void {
    this.request = request;
    request.on('response', this.onResponse);
    request.on('error', this.onFailure);
    request.end(body);
  }

  private readonly onResponse = (answer: IncomingMessage): void => {
    this.answer = answer;
    answer.on('data', this.onChunk);
    answer.on('end', this.onEnd);
    answer.on('error', this.onFailure);
    answer.on('close', this.onClose);
    this.onHeaders(answer.statusCode ?? 0, answer.rawHeaders);
  };

  private readonly onChunk = (chunk: Buffer): void => {
    if (!this.onData(chunk)) this.answer?.pause();
  };

  private readonly onEnd = (): void => this.onComplete();

  private readonly onFailure = (error: Error): void => this.fail(error);

  private readonly onClose = (): void => {
    if (!this.ended) this.fail(new Error('The upstream closed the connection mid-answer.'));
  };

  /** The status and headers are in. */
  onHeaders(statusCode: number, rawHeaders: string[]): void {
    this.progressTick = this.clock.tick;
    this.statusCode = statusCode;
    this.rawHeaders = rawHeaders;
    this.headersIn = true;
    this.settleReady.resolve(this);
  }

  /** A body chunk; false: the consumer wants no more until resume(). */
  onData(chunk: Buffer): boolean {
    this.progressTick = this.clock.tick;
    if (!this.sink) {
      this.early.push(chunk);
      return true;
    }
    if (this.sink(chunk) !== false) return true;
    this.paused = true;
    return false;
  }

  /** The whole body is in. */
  onComplete(): void {
    if (this.ended || this.failure) return;
    this.ended = true;
    if (this.deadline) clearTimeout(this.deadline);
    this.settled();
    this.settleBody?.resolve();
  }

  /** The request failed (or was aborted): whoever waits on the headers or the body is released. */
  fail(error: Error): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    if (this.deadline) clearTimeout(this.deadline);
    this.settled();
    if (!this.headersIn) this.settleReady.reject(error);
    else this.settleBody?.reject(error);
  }

  // ------------------------------------------------------------------ the consumer's side

  /** All headers, names lower-cased (decoded on first use: most answers need one header). */
  get headers(): UpstreamHeaders {
    this.parsedHeaders ??= headersOf(this.rawHeaders);
    return this.parsedHeaders;
  }

  /** One header's first value, found without decoding the others. */
  header(name: string): string | undefined {
    if (this.parsedHeaders) {
      const value = this.parsedHeaders[name];
      return Array.isArray(value) ? value[0] : value;
    }
    const raw = this.rawHeaders;
    if (!raw) return undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (raw[i].length === name.length && raw[i].toLowerCase() === name) return raw[i + 1];
    }
    return undefined;
  }

  /**
   * Hands every body chunk to `sink` as it arrives (returning false pauses reading until
   * resume()). Resolves when the body is complete; rejects when it fails or is destroyed.
   */
  forEach(sink: Sink): Promise<void> {
    const early = this.early;
    this.early = [];
    for (const chunk of early) sink(chunk);
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve();
    this.sink = sink;
    return new Promise((resolve, reject) => {
      this.settleBody = { resolve, reject };
    });
  }

  /** Aborts the request unless the whole answer is in within `ms`. */
  expireAfter(ms: number): void {
    this.deadline = setTimeout(() => this.destroy(), ms);
  }

  /** Reading continues after a sink returned false. */
  resume(): void {
    if (this.paused) {
      this.paused = false;
      this.progressTick = this.clock.tick;
    }
    this.answer?.resume();
  }

  /** Whether status and headers are in. */
  get answered(): boolean {
    return this.headersIn;
  }

  /**
   * Aborts the upstream request (the client went away, the body is not wanted, or a deadline
   * passed: `reason` is then what the request fails with). A request still waiting for a
   * connection is never sent, and whoever waits on it is released now, not when a connection frees.
   */
  destroy(reason?: Error): void {
    if (this.ended || this.failure) return;
    const error = reason ?? new Error('The client went away.');
    this.fail(error);
    this.request?.destroy(error);
  }

  private settled(): void {
    if (this.slot !== -1) this.onSettled?.(this);
  }

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    await this.forEach((chunk) => {
      chunks.push(chunk);
    });
    return Buffer.concat(chunks).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
}
