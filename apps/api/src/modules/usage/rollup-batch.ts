// Folds a batch of stored log rows into per-(bucket, owner, key, account, model) deltas that the
// writer adds to the rollup tables in the same transaction as the rows themselves.
import { addToHistogram, emptyHistogram } from './latency-histogram';
import type { RequestLogEntry } from './request-log.types';

/** Stands for "no key" / "no account" in rollup keys, which cannot hold NULL and stay unique. */
export const NONE_ID = '00000000-0000-0000-0000-000000000000';

export type RollupUnit = 'hour' | 'day';

/** The counters every rollup row adds up (column names, as the upserts write them). */
export interface RollupCounters {
  requests: number;
  errors: number;
  cancelled: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
}

function zeroCounters(): RollupCounters {
  return {
    requests: 0,
    errors: 0,
    cancelled: 0,
    input_tokens: 0,
    cached_input_tokens: 0,
    output_tokens: 0,
    reasoning_tokens: 0,
    cost_usd: 0,
  };
}

/** Map values in key order: concurrent writers then lock rollup rows in the same order. */
function sortedValues<T>(map: Map<string, T>): T[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);
}

export interface RollupDelta extends RollupCounters {
  bucket_start: string;
  owner_user_id: string;
  api_key_id: string;
  account_id: string;
  model: string;
  latency_sum_ms: number;
  ttfb_sum_ms: number;
  ttfb_count: number;
  latency_hist: number[];
  ttfb_hist: number[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export function bucketStart(at: Date, unit: RollupUnit): Date {
  const size = unit === 'hour' ? HOUR_MS : DAY_MS;
  return new Date(Math.floor(at.getTime() / size) * size);
}

/** Deltas sorted by key, so concurrent writers lock rollup rows in the same order. */
export function rollupDeltas(entries: readonly RequestLogEntry[], unit: RollupUnit): RollupDelta[] {
  // Filed by bucket, then owner, key, account and model in nested maps: the ids are the same
  // strings request after request, so each lookup is cheap, where one joined key would be built
  // and hashed afresh for every entry. The joined key is built once per delta, for the sort.
  const filed = new Map<string, RollupDelta>();
  const byBucket = new Map<number, Map<string, Map<string, Map<string, Map<string, RollupDelta>>>>>();
  const size = unit === 'hour' ? HOUR_MS : DAY_MS;
  for (const entry of entries) {
    const bucketMs = Math.floor(entry.requestedAt.getTime() / size) * size;
    const keyId = entry.apiKeyId ?? NONE_ID;
    const accountId = entry.accountId ?? NONE_ID;
    const model = entry.model ?? '';
    let byOwner = byBucket.get(bucketMs);
    if (!byOwner) byBucket.set(bucketMs, (byOwner = new Map()));
    let byKey = byOwner.get(entry.ownerUserId);
    if (!byKey) byOwner.set(entry.ownerUserId, (byKey = new Map()));
    let byAccount = byKey.get(keyId);
    if (!byAccount) byKey.set(keyId, (byAccount = new Map()));
    let byModel = byAccount.get(accountId);
    if (!byModel) byAccount.set(accountId, (byModel = new Map()));
    let delta = byModel.get(model);
    if (!delta) {
      const bucket = new Date(bucketMs).toISOString();
      delta = {
        bucket_start: bucket,
        owner_user_id: entry.ownerUserId,
        api_key_id: keyId,
        account_id: accountId,
        model,
        ...zeroCounters(),
        latency_sum_ms: 0,
        ttfb_sum_ms: 0,
        ttfb_count: 0,
        latency_hist: emptyHistogram(),
        ttfb_hist: emptyHistogram(),
      };
      byModel.set(model, delta);
      filed.set(`${bucket}|${entry.ownerUserId}|${keyId}|${accountId}|${model}`, delta);
    }
    delta.requests += 1;
    if (entry.status === 'error') delta.errors += 1;
    if (entry.status === 'cancelled') delta.cancelled += 1;
    delta.input_tokens += entry.inputTokens ?? 0;
    delta.cached_input_tokens += entry.cachedInputTokens ?? 0;
    delta.output_tokens += entry.outputTokens ?? 0;
    delta.reasoning_tokens += entry.reasoningTokens ?? 0;
    delta.cost_usd += entry.costUsd ?? 0;
    delta.latency_sum_ms += entry.latencyMs;
    addToHistogram(delta.latency_hist, entry.latencyMs);
    if (entry.ttfbMs !== null) {
      delta.ttfb_sum_ms += entry.ttfbMs;
      delta.ttfb_count += 1;
      addToHistogram(delta.ttfb_hist, entry.ttfbMs);
    }
  }
  return sortedValues(filed);
}

export type SeriesDimension = 'model' | 'key' | 'account';

export interface SeriesDelta extends RollupCounters {
  dimension: SeriesDimension;
  bucket_start: string;
  owner_user_id: string;
  value: string;
}

/** Hourly deltas folded along each chart dimension (sorted, like rollupDeltas). */
export function seriesDeltas(hourly: readonly RollupDelta[]): SeriesDelta[] {
  const deltas = new Map<string, SeriesDelta>();
  for (const h of hourly) {
    const values: [SeriesDimension, string][] = [
      ['model', h.model],
      ['key', h.api_key_id],
      ['account', h.account_id],
    ];
    for (const [dimension, value] of values) {
      const key = `${dimension}|${h.bucket_start}|${h.owner_user_id}|${value}`;
      let d = deltas.get(key);
      if (!d) {
        d = {
          dimension,
          bucket_start: h.bucket_start,
          owner_user_id: h.owner_user_id,
          value,
          ...zeroCounters(),
        };
        deltas.set(key, d);
      }
      d.requests += h.requests;
      d.errors += h.errors;
      d.cancelled += h.cancelled;
      d.input_tokens += h.input_tokens;
      d.cached_input_tokens += h.cached_input_tokens;
      d.output_tokens += h.output_tokens;
      d.reasoning_tokens += h.reasoning_tokens;
      d.cost_usd += h.cost_usd;
    }
  }
  return sortedValues(deltas);
}
