// One upstream answer, received through undici's dispatch callbacks instead of its request() API:
// no Readable stream and no async iterator per response. The body's chunks go straight to the
// consumer's sink as the parser produces them; a sink that returns false pauses the socket until
// resume() (the client's 'drain'). destroy() aborts the upstream request, which fails the body.
// Its deadlines (no headers, no bytes for too long) are kept by UpstreamClient's sweep: the answer
// notes the tick of its last progress on the client's coarse clock, one store per chunk.
import type { Dispatcher } from 'undici';

export type UpstreamHeaders = Record<string, string | string[] | undefined>;

type Sink = (chunk: Buffer) => boolean | void;

/** A clock that advances once per sweep of UpstreamClient (no time is read per chunk). */
export interface SweepClock {
  tick: number;
}

const NO_CLOCK: SweepClock = { tick: 0 };

function headersOf(raw: Buffer[] | string[] | null): UpstreamHeaders {
  const headers: UpstreamHeaders = {};
  if (!raw) return headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    const value = raw[i + 1].toString('latin1');
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [seen, value];
  }
  return headers;
}

export class UpstreamResponse implements Dispatcher.DispatchHandler {
  statusCode = 0;
  private rawHeaders: Buffer[] | string[] | null = null;
  private parsedHeaders: UpstreamHeaders | null = null;
  /** Resolves once the status and headers are in; rejects if the request fails before. */
  readonly ready: Promise<UpstreamResponse>;
  private settleReady!: { resolve: (value: UpstreamResponse) => void; reject: (error: Error) => void };
  private settleBody: { resolve: () => void; reject: (error: Error) => void } | null = null;
  private abortRequest: ((error?: Error) => void) | null = null;
  private resumeReading: (() => void) | null = null;
  private sink: Sink | null = null;
  private early: Buffer[] = [];
  private headersIn = false;
  private ended = false;
  private failure: Error | null = null;
  private destroyed = false;
  private deadline: NodeJS.Timeout | null = null;
  private abortReason: Error | null = null;
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

  // ------------------------------------------------------------------ undici's callbacks

  onConnect(abort: (error?: Error) => void): void {
    if (this.destroyed) abort(this.abortReason ?? new Error('The client went away.'));
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, resume: () => void): boolean {
    this.progressTick = this.clock.tick;
    this.statusCode = statusCode;
    this.rawHeaders = rawHeaders;
    this.resumeReading = resume;
    this.headersIn = true;
    this.settleReady.resolve(this);
    return true;
  }

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

  onComplete(): void {
    this.ended = true;
    if (this.deadline) clearTimeout(this.deadline);
    this.settled();
    this.settleBody?.resolve();
  }

  onError(error: Error): void {
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
      if (raw[i].length === name.length && raw[i].toString('latin1').toLowerCase() === name) {
        return raw[i + 1].toString('latin1');
      }
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
    this.resumeReading?.();
  }

  /** Whether status and headers are in. */
  get answered(): boolean {
    return this.headersIn;
  }

  /**
   * Aborts the upstream request (the client went away, the body is not wanted, or a deadline
   * passed: `reason` is then what the request fails with).
   */
  destroy(reason?: Error): void {
    if (this.destroyed || this.ended) return;
    this.destroyed = true;
    this.abortReason = reason ?? new Error('The client went away.');
    this.settled();
    if (this.abortRequest) this.abortRequest(this.abortReason);
    // Still queued for a pool connection: undici aborts it only once it would be sent (onConnect),
    // which a saturated pool may not do for minutes. Whoever waits on it is released now.
    else this.onError(this.abortReason);
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
