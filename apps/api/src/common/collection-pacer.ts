// A full collection while the proxy is busy, before V8's memory reducer would run one at a bad
// moment.
//
// V8's memory reducer runs a memory-reducing full collection 100 s after the last full collection
// at the latest (its watchdog), busy or not, and sooner when the program looks idle. A
// memory-reducing collection keeps no map that only dead objects used, so optimized code built on
// them is thrown away: right after it, with no request in flight, the proxy's hot path is
// deoptimized and compiled again, about 0.75 s of CPU on V8's threads, paid by the next burst of
// requests (bench/BASELINE.md). With the heap allowed to grow to 2.5x (runtime-flags.ts), the
// proxy runs no full collection of its own for minutes under load, so that watchdog is what
// collects.
//
// So when no full collection has run for PACE_MS and requests are in flight, this runs an ordinary
// one (not memory-reducing: V8 keeps recently used maps, and the hot path's objects are alive).
// Any full collection resets the reducer's watchdog, so under steady or bursty load it no longer
// fires; once the gateway is idle nothing runs here, and the reducer gives memory back as before.
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Under V8's 100 s watchdog, with room for one check interval and a busy moment to come. */
export const PACE_MS = 75_000;
const CHECK_MS = 5_000;
/** Once due, how often it looks for requests in flight (a burst may be short). */
const DUE_CHECK_MS = 100;

/** V8's `gc()`, from a context of its own (the main context gets no `gc` global). */
export function exposedCollector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export class CollectionPacer {
  /** When the last full collection ran, by `now()`. */
  lastFullAt: number;
  private readonly observer: PerformanceObserver;
  private timer: NodeJS.Timeout | null = null;
  private dueTimer: NodeJS.Timeout | null = null;
  /** Full collections this pacer ran (metrics, specs). */
  ran = 0;

  constructor(
    private readonly busy: () => boolean,
    private readonly collect: () => void,
    private readonly now: () => number = () => performance.now(),
    private readonly paceMs = PACE_MS,
  ) {
    this.lastFullAt = this.now();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.observed(entry);
    });
  }

  start(checkMs = CHECK_MS): void {
    this.observer.observe({ entryTypes: ['gc'] });
    this.timer = setInterval(() => this.check(), checkMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.timer = null;
    this.dueTimer = null;
    this.observer.disconnect();
  }

  /** A collection V8 reported (whoever started it). */
  observed(entry: PerformanceEntry): void {
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.lastFullAt = Math.max(this.lastFullAt, this.now());
  }

  /**
   * Collects when none has run for the pace and requests are in flight; true when it did. When
   * due but idle, it looks again every DUE_CHECK_MS while started (a burst may fall between two
   * regular checks).
   */
  check(): boolean {
    const at = this.now();
    if (at - this.lastFullAt < this.paceMs) return false;
    if (!this.busy()) {
      if (this.timer && !this.dueTimer) {
        this.dueTimer = setTimeout(() => {
          this.dueTimer = null;
          this.check();
        }, DUE_CHECK_MS);
        this.dueTimer.unref();
      }
      return false;
    }
    this.lastFullAt = at;
    this.ran += 1;
    this.collect();
    return true;
  }
}
