// The last finished exchange of each kind (route, streamed or not), kept until the next one of
// that kind ends, so that a quiet moment does not cost the next burst its compiled code.
//
// Once the process goes quiet, V8's memory reducer runs a full collection. With no request in
// flight, nothing then holds the closures made per request (the adapters, the upstream answer's
// callbacks, Node's and undici's per-request objects), whose optimized code V8 keeps only while a
// closure of it lives, nor one object of each per-request shape, whose maps die and take with
// them the code that was specialized on them. The next burst ran unoptimized code until V8 had
// compiled it all again. Measured in pairs of processes, the first 2 s after such a collection
// took 0.62-1.25 ms of CPU per request without this and 0.47-0.81 with it, against 0.23-0.30 in
// steady state (bench/BASELINE.md).
//
// What is kept is bounded: one exchange per kind (the kinds are the proxy's fixed routes), only a
// completed HTTP one, and only one whose client body, upstream body, upstream answer and answer to
// the client were each at most WARM_MAX_BYTES. The bodies are not only in the request: the
// adapters' closures share their route handler's scope, which holds the body's scan (and the scan
// its bytes), and a collecting adapter holds what the upstream sent, which can be far more than
// the client got (a compact answer keeps one item of the upstream's response). So at most a few
// MB are held in all; a kind whose last request was larger keeps the exchange before it.
import type { Adapter, OpenUpstream, ProxyRequest } from './proxy.service';
import type { Outcome } from './metering/usage-meter';

/** Largest client body, upstream body, upstream answer and client answer (each, in bytes) kept. */
export const WARM_MAX_BYTES = 256 * 1024;

/** One finished exchange, held only so that what it references stays alive. */
export interface WarmExchange {
  readonly req: ProxyRequest;
  readonly adapter: Adapter;
  readonly open: OpenUpstream;
}

export class WarmExchanges {
  /** route -> [the last answered whole, the last streamed]. */
  private readonly byRoute = new Map<string, [WarmExchange | null, WarmExchange | null]>();

  /**
   * Keeps a finished exchange as its kind's last one, if it completed over HTTP and is small
   * (`received`: bytes of the upstream's answer). Called before the exchange lets go of the
   * client's body. A WebSocket turn is not kept: it would hold its whole session, and an open
   * session keeps its own objects alive.
   */
  keep(req: ProxyRequest, adapter: Adapter, open: OpenUpstream | null, outcome: Outcome, received: number): void {
    if (open === null || outcome.status !== 'success' || req.open !== undefined) return;
    const exchange = req.exchange;
    if (received > WARM_MAX_BYTES || exchange.bytesWritten > WARM_MAX_BYTES) return;
    if (req.body.length > WARM_MAX_BYTES) return;
    if (exchange.body !== null && exchange.body.length > WARM_MAX_BYTES) return;
    let kinds = this.byRoute.get(req.route);
    if (kinds === undefined) {
      kinds = [null, null];
      this.byRoute.set(req.route, kinds);
    }
    kinds[req.stream ? 1 : 0] = { req, adapter, open };
  }

  /** The exchange kept for a route and mode, if any (for specs). */
  kept(route: string, stream: boolean): WarmExchange | null {
    return this.byRoute.get(route)?.[stream ? 1 : 0] ?? null;
  }
}
