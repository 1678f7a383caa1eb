// Rows to response DTOs: request logs (never a key digest: only the key's id and name), rollup
// totals with their percentile estimates, and one CSV line per log.
import type { RequestLogDto, UsagePeriodDto } from '@codex-lb/shared';
import { percentile } from './latency-histogram';
import type { RequestLogRow } from './request-logs.repository';
import type { TimeRange } from './time-range';
import type { RollupCountersDto, RollupTotals } from './usage.repository';

export function toRequestLogDto(row: RequestLogRow): RequestLogDto {
  return {
    id: row.id,
    requestedAt: row.cursor_at.replace(/(\.\d{3})\d*Z$/, '$1Z'),
    ownerUserId: row.owner_user_id,
    ownerUsername: row.owner_username,
    apiKeyId: row.api_key_id,
    apiKeyName: row.api_key_name,
    accountId: row.account_id,
    accountLabel: row.account_label,
    route: row.route,
    model: row.model,
    stream: row.stream,
    status: row.status,
    httpStatus: row.http_status,
    errorCode: row.error_code,
    inputTokens: row.input_tokens,
    cachedInputTokens: row.cached_input_tokens,
    outputTokens: row.output_tokens,
    reasoningTokens: row.reasoning_tokens,
    costUsd: row.cost_usd === null ? null : Number(row.cost_usd),
    latencyMs: row.latency_ms,
    ttfbMs: row.ttfb_ms,
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    sessionId: row.session_id,
    endUser: row.end_user,
  };
}

/** The counters every usage answer shows, with the derived total and the cost rounded. */
export function toCountersDto(c: RollupCountersDto) {
  return {
    requests: c.requests,
    errors: c.errors,
    inputTokens: c.inputTokens,
    cachedInputTokens: c.cachedInputTokens,
    outputTokens: c.outputTokens,
    reasoningTokens: c.reasoningTokens,
    totalTokens: c.inputTokens + c.outputTokens,
    costUsd: Math.round(c.costUsd * 1e8) / 1e8,
  };
}

export function toUsagePeriodDto(range: TimeRange, totals: RollupTotals): UsagePeriodDto {
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    ...toCountersDto(totals),
    cancelled: totals.cancelled,
    latencyP50Ms: percentile(totals.latencyHist, 0.5),
    latencyP95Ms: percentile(totals.latencyHist, 0.95),
    avgLatencyMs: totals.requests > 0 ? Math.round(totals.latencySumMs / totals.requests) : null,
    ttfbP50Ms: percentile(totals.ttfbHist, 0.5),
    ttfbP95Ms: percentile(totals.ttfbHist, 0.95),
  };
}

export const CSV_COLUMNS: (keyof RequestLogDto)[] = [
  'id',
  'requestedAt',
  'ownerUsername',
  'apiKeyName',
  'apiKeyId',
  'accountLabel',
  'accountId',
  'route',
  'model',
  'stream',
  'status',
  'httpStatus',
  'errorCode',
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'reasoningTokens',
  'costUsd',
  'latencyMs',
  'ttfbMs',
  'clientIp',
  'userAgent',
  'sessionId',
  'endUser',
];

/**
 * RFC 4180 quoting, plus a leading apostrophe for text a spreadsheet would run as a formula
 * (user agents and error codes come from clients and upstreams).
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
