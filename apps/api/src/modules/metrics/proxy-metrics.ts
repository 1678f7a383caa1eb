// What the proxy counts as requests end. requestEnded() is called once per proxied request, from
// UsageMeter.record() (the one place every exchange ends), and costs a few Map lookups: the
// series are plain records (metric-series.ts), read by the registry only on a scrape.
import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS, type Settings } from '../../config/settings';
import { FastCounter, FastHistogram } from './metric-series';
import { modelLabel, statusClassLabel, statusLabel } from './metric-labels';

/** Seconds; proxied answers run from milliseconds (models) to many minutes (long streams). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const TTFB_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60];

/** Error codes of refusals a key's own limits caused (libs/shared error codes). */
const KEY_LIMIT_CODES = new Set([
  'rate_limit_exceeded',
  'usage_limit_exceeded',
  'concurrency_limit_exceeded',
  'model_not_priced',
  'model_not_allowed',
]);

/** Proxy routes are code constants; more than this many distinct ones would be a bug. */
const MAX_ROUTES = 32;
/** Accounts are bounded by the installation; this only caps a runaway. */
const MAX_ACCOUNTS = 10_000;

@Injectable()
export class ProxyMetrics {
  readonly requests = new FastCounter(
    'codex_lb_proxy_requests_total',
    'Proxied requests by route, answered status, model (from the price table, else other) and outcome.',
    ['route', 'status_class', 'status', 'model', 'outcome'],
    MAX_ROUTES,
  );
  readonly latency = new FastHistogram(
    'codex_lb_proxy_request_duration_seconds',
    'Time from a proxied request arriving to its end (the last byte of a stream), by route and outcome.',
    ['route', 'outcome'],
    LATENCY_BUCKETS,
    MAX_ROUTES,
  );
  readonly ttfb = new FastHistogram(
    'codex_lb_proxy_time_to_first_byte_seconds',
    'Time from a proxied request arriving to the first upstream body byte, by route.',
    ['route'],
    TTFB_BUCKETS,
    MAX_ROUTES,
  );
  readonly upstream = new FastCounter(
    'codex_lb_upstream_responses_total',
    'Upstream answers by account and HTTP status (connect_error when no answer came), failover attempts included.',
    ['account', 'status'],
    MAX_ACCOUNTS,
  );
  readonly keyLimitRefusals = new FastCounter(
    'codex_lb_key_limit_refusals_total',
    "Proxied requests refused by their API key's own limits, by reason (error code).",
    ['reason'],
    KEY_LIMIT_CODES.size + 1,
  );

  private readonly enabled: boolean;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.enabled = settings.metrics;
  }

  /** One proxied request ended (its request-log row is being written). */
  requestEnded(
    route: string,
    httpStatus: number,
    model: string | null,
    outcome: 'success' | 'error' | 'cancelled',
    latencyMs: number,
    ttfbMs: number | null,
    errorCode: string | null,
  ): void {
    if (!this.enabled) return;
    const status = statusLabel(httpStatus);
    this.requests.child(route, statusClassLabel(httpStatus), status, modelLabel(model), outcome).value++;
    this.latency.observe(this.latency.child(route, outcome), latencyMs / 1000);
    if (ttfbMs !== null) this.ttfb.observe(this.ttfb.child(route), ttfbMs / 1000);
    if (errorCode !== null && KEY_LIMIT_CODES.has(errorCode)) this.keyLimitRefusals.child(errorCode).value++;
  }

  /** An upstream attempt's answer (status 0: the upstream could not be reached). */
  upstreamAnswered(accountId: string, httpStatus: number): void {
    if (!this.enabled) return;
    this.upstream.child(accountId, httpStatus === 0 ? 'connect_error' : statusLabel(httpStatus)).value++;
  }
}
