// Reads the usage rollups (never the raw logs): totals with merged latency histograms, grouped
// time series, and the names that label series. A range is answered from daily rows for the whole
// UTC days inside it and hourly rows for the hours at either edge. Every query is scoped: the
// caller's own rows plus what their groups' accounts served and their groups' keys made.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { UsageBucket, UsageGroupBy, UsageTotalsDto } from '@codex-lb/shared';
import { groupAccountsSql, ownerCondition, usageReadCondition, type OwnerScope } from '../../common/owner-scope';
import { accountCondition } from '../accounts/accounts.repository';
import { HISTOGRAM_BUCKETS } from './latency-histogram';

/** The summed counters of rollup rows, as a chart point (t, group) carries them. */
export type RollupCountersDto = Pick<
  UsageTotalsDto,
  'requests' | 'errors' | 'inputTokens' | 'cachedInputTokens' | 'outputTokens' | 'reasoningTokens' | 'costUsd'
>;

export interface RollupTotals extends RollupCountersDto {
  cancelled: number;
  latencySumMs: number;
  ttfbSumMs: number;
  ttfbCount: number;
  latencyHist: number[];
  ttfbHist: number[];
}

export interface RollupPoint extends RollupCountersDto {
  t: Date;
  group: string;
}

/** Filters on top of the scope. */
export interface UsageFilter {
  /** Requests served by the accounts this group owns or that are shared into it. */
  groupId?: string;
}

const DAY_MS = 86_400_000;

/** The scope and filter condition on rollup rows (unaliased columns), appended to a WHERE clause. */
function rowCondition(scope: OwnerScope, filter: UsageFilter, params: unknown[]): string {
  let where = usageReadCondition(
    scope,
    { owner: 'owner_user_id', account: 'account_id', apiKey: 'api_key_id' },
    params,
  );
  if (filter.groupId) {
    params.push(filter.groupId);
    where += ` AND account_id IN (${groupAccountsSql(`ARRAY[$${params.length}::uuid]`)})`;
  }
  return where;
}

/**
 * The hourly series table keeps one row per (hour, owner, value) of one dimension, without the
 * account or key of each request: it answers only a plain owner scope with no group filter.
 */
function seriesAnswers(scope: OwnerScope, filter: UsageFilter): boolean {
  return !filter.groupId && !('userId' in scope && scope.groupIds?.length);
}

const TOTALS = `coalesce(sum(requests), 0) AS requests, coalesce(sum(errors), 0) AS errors,
  coalesce(sum(cancelled), 0) AS cancelled, coalesce(sum(input_tokens), 0) AS input_tokens,
  coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens,
  coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens, coalesce(sum(cost_usd), 0) AS cost_usd`;

// One sum per histogram slot: far cheaper than unnesting every array into rows.
function histogramSums(column: string): string {
  const slots = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => `coalesce(sum(${column}[${i + 1}]), 0)`);
  return `ARRAY[${slots.join(', ')}] AS ${column}`;
}

const GROUP_COLUMN: Record<UsageGroupBy, string> = {
  model: 'r.model',
  key: 'r.api_key_id::text',
  account: 'r.account_id::text',
  owner: 'r.owner_user_id::text',
};

function hourlySource(scope: OwnerScope, filter: UsageFilter, from: Date, to: Date, params: unknown[]): string {
  params.push(from, to);
  const where = `bucket_start >= $${params.length - 1} AND bucket_start < $${params.length}`;
  return `(SELECT * FROM usage_rollups_hourly WHERE ${where}${rowCondition(scope, filter, params)}) r`;
}

/**
 * The rows covering [from, to) (both on whole hours) as one derived table `r`, with the owner
 * condition inside each branch so each can use its (owner_user_id, bucket_start) index.
 */
function rollupSource(scope: OwnerScope, filter: UsageFilter, from: Date, to: Date, params: unknown[]): string {
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const firstDay = new Date(Math.ceil(from.getTime() / DAY_MS) * DAY_MS);
  const lastDay = new Date(Math.floor(to.getTime() / DAY_MS) * DAY_MS);
  if (firstDay >= lastDay) return hourlySource(scope, filter, from, to, params);
  const daily = `bucket_start >= ${add(firstDay)} AND bucket_start < ${add(lastDay)}${rowCondition(scope, filter, params)}`;
  const head = `bucket_start >= ${add(from)} AND bucket_start < ${add(firstDay)}`;
  const tail = `bucket_start >= ${add(lastDay)} AND bucket_start < ${add(to)}`;
  const hourly = `((${head}) OR (${tail}))${rowCondition(scope, filter, params)}`;
  return `(SELECT * FROM usage_rollups_daily WHERE ${daily}
           UNION ALL SELECT * FROM usage_rollups_hourly WHERE ${hourly}) r`;
}

const num = (value: unknown) => Number(value ?? 0);

@Injectable()
export class UsageRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async totals(scope: OwnerScope, filter: UsageFilter, from: Date, to: Date): Promise<RollupTotals> {
    const params: unknown[] = [];
    const source = rollupSource(scope, filter, from, to, params);
    const [row] = await this.dataSource.query(
      `SELECT ${TOTALS}, coalesce(sum(latency_sum_ms), 0) AS latency_sum_ms,
              coalesce(sum(ttfb_sum_ms), 0) AS ttfb_sum_ms, coalesce(sum(ttfb_count), 0) AS ttfb_count,
              ${histogramSums('latency_hist')}, ${histogramSums('ttfb_hist')}
         FROM ${source}`,
      params,
    );
    return {
      requests: num(row.requests),
      errors: num(row.errors),
      cancelled: num(row.cancelled),
      inputTokens: num(row.input_tokens),
      cachedInputTokens: num(row.cached_input_tokens),
      outputTokens: num(row.output_tokens),
      reasoningTokens: num(row.reasoning_tokens),
      costUsd: num(row.cost_usd),
      latencySumMs: num(row.latency_sum_ms),
      ttfbSumMs: num(row.ttfb_sum_ms),
      ttfbCount: num(row.ttfb_count),
      latencyHist: (row.latency_hist as unknown[]).map(num),
      ttfbHist: (row.ttfb_hist as unknown[]).map(num),
    };
  }

  /** Points per (bucket, group), ordered by group then time. */
  async timeseries(
    scope: OwnerScope,
    filter: UsageFilter,
    from: Date,
    to: Date,
    bucket: UsageBucket,
    groupBy: UsageGroupBy,
  ): Promise<RollupPoint[]> {
    const params: unknown[] = [];
    let sql: string;
    if (bucket === 'hour' && !seriesAnswers(scope, filter)) {
      // Group reads need each row's account and key: the hourly rollups have them.
      const source = hourlySource(scope, filter, from, to, params);
      sql = `SELECT r.bucket_start AS t, ${GROUP_COLUMN[groupBy]} AS grp, ${TOTALS}
               FROM ${source}
              GROUP BY 1, 2 ORDER BY 2, 1`;
    } else if (bucket === 'hour') {
      // Hourly series rows: one per (hour, owner, value) of one dimension; by owner reads the
      // model dimension, which every request has exactly one row in.
      const dimension = groupBy === 'owner' ? 'model' : groupBy;
      params.push(dimension, from, to);
      const where = `dimension = $1 AND bucket_start >= $2 AND bucket_start < $3${ownerCondition(scope, 'owner_user_id', params)}`;
      const grp = groupBy === 'owner' ? 'r.owner_user_id::text' : 'r.value';
      sql = `SELECT r.bucket_start AS t, ${grp} AS grp, ${TOTALS}
               FROM usage_rollups_hourly_series r WHERE ${where}
              GROUP BY 1, 2 ORDER BY 2, 1`;
    } else {
      // Daily buckets: daily rows for whole days, hourly rows folded into their day at the edges.
      const source = rollupSource(scope, filter, from, to, params);
      sql = `SELECT date_bin('1 day', r.bucket_start, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS t,
                    ${GROUP_COLUMN[groupBy]} AS grp, ${TOTALS}
               FROM ${source}
              GROUP BY 1, 2 ORDER BY 2, 1`;
    }
    const rows = await this.dataSource.query(sql, params);
    return rows.map((row: Record<string, unknown>) => ({
      t: row.t as Date,
      group: String(row.grp),
      requests: num(row.requests),
      errors: num(row.errors),
      inputTokens: num(row.input_tokens),
      cachedInputTokens: num(row.cached_input_tokens),
      outputTokens: num(row.output_tokens),
      reasoningTokens: num(row.reasoning_tokens),
      costUsd: num(row.cost_usd),
    }));
  }

  /**
   * Display names for series ids; ids that no longer exist are absent from the map. An account a
   * user sees only in another member's requests (through a group) is present with a null label,
   * so another member's personal account stays unnamed.
   */
  async labels(
    scope: OwnerScope,
    groupBy: Exclude<UsageGroupBy, 'model'>,
    ids: string[],
  ): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    const params: unknown[] = [ids];
    const accountLabel =
      'userId' in scope && scope.groupIds?.length
        ? `CASE WHEN true${accountCondition(scope, 'read', params)} THEN coalesce(a.alias, a.email, a.chatgpt_account_id) END`
        : 'coalesce(a.alias, a.email, a.chatgpt_account_id)';
    const sql = {
      key: `SELECT id::text AS id, name AS label FROM api_keys WHERE id = ANY($1::uuid[])`,
      account: `SELECT a.id::text AS id, ${accountLabel} AS label FROM accounts a WHERE a.id = ANY($1::uuid[])`,
      owner: `SELECT id::text AS id, username AS label FROM dashboard_users WHERE id = ANY($1::uuid[])`,
    }[groupBy];
    const rows: { id: string; label: string | null }[] = await this.dataSource.query(
      sql,
      groupBy === 'account' ? params : [ids],
    );
    return new Map(rows.map((row) => [row.id, row.label]));
  }
}
