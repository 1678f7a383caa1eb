// Gives a burst's memory back once the gateway is idle. Under load V8 grows the heap to several
// times what is live (garbage waits for the next collection, and the heap's pages stay committed);
// when the load stops, nothing allocates, so nothing triggers that collection, and the process
// keeps its peak footprint for as long as it stays idle (bench/BASELINE.md: 219 to 300 MB after
// a benchmark run, ~155 MB after one full collection). So once `minRequests` requests and
// exchanges (an HTTP request counts once, a proxied one twice, a WebSocket turn once) have come
// since the last time, none for `idleMs` and none in flight, one full collection runs (tens of
// ms, when nobody waits on this process), at most once per `minIntervalMs`.
import { Session } from 'node:inspector';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleMemoryOptions {
  idleMs: number;
  minRequests: number;
  minIntervalMs: number;
}

export const IDLE_MEMORY_DEFAULTS: IdleMemoryOptions = { idleMs: 1000, minRequests: 1000, minIntervalMs: 30_000 };

/**
 * V8's collection of all available garbage, the one its low-memory notification runs: several
 * full collections, then the heap's emptied pages and the young generation given back (a plain
 * `gc()` frees the garbage but keeps most pages: 220 to 186 MB against 155 MB in one test). It is
 * reached through an in-process inspector session (no port is opened); should that fail, `gc()`.
 */
function collectAll(): void {
  let session: Session | null = null;
  try {
    session = new Session();
    session.connect();
    const connected = session;
    connected.post('HeapProfiler.collectGarbage', (error) => {
      // Not from inside the answer's callback: a session disconnected there keeps the process
      // from ever exiting.
      setImmediate(() => connected.disconnect());
      if (error) fallback();
    });
  } catch {
    session?.disconnect();
    fallback();
  }
}

function fallback(): void {
  plainGc ??= exposeGc();
  plainGc();
}

let plainGc: (() => void) | null = null;
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export class IdleMemory {
  /** HTTP requests and upgrades seen so far (the server's handlers count them). */
  requests = 0;
  private seenAt = 0;
  private lastChangeAt: number;
  private collectedAt: number;
  private countedAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Proxied exchanges run so far (WebSocket turns arrive without a new HTTP request) and in flight. */
    private readonly exchanges: () => { started: number; inFlight: number },
    private readonly options: IdleMemoryOptions = IDLE_MEMORY_DEFAULTS,
    private readonly collect: () => void = collectAll,
    private readonly now: () => number = Date.now,
  ) {
    this.lastChangeAt = now();
    this.collectedAt = now();
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), Math.max(100, Math.floor(this.options.idleMs / 2)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look (the timer's; specs call it directly). True when it collected. */
  check(): boolean {
    const now = this.now();
    const { started, inFlight } = this.exchanges();
    const seen = this.requests + started;
    if (seen !== this.seenAt) {
      this.seenAt = seen;
      this.lastChangeAt = now;
      return false;
    }
    if (
      seen - this.countedAt < this.options.minRequests ||
      now - this.lastChangeAt < this.options.idleMs ||
      now - this.collectedAt < this.options.minIntervalMs ||
      inFlight > 0
    ) {
      return false;
    }
    this.countedAt = seen;
    this.collectedAt = now;
    this.collect();
    return true;
  }
}
