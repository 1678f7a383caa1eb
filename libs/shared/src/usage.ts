// What the dashboard and the API agree on for request logs, usage reports and the overview page.
// Token counts the upstream did not report are null in a log row (unknown is not zero); in
// summaries and charts they add nothing. Timestamps are ISO 8601 in UTC.
import type { AccountDto } from './accounts';
import type { ApiKeyLimitKind, ApiKeyLimitWindow } from './api-keys';

export const REQUEST_LOG_STATUSES = ['success', 'error', 'cancelled'] as const;
export type RequestLogStatus = (typeof REQUEST_LOG_STATUSES)[number];

export interface RequestLogDto {
  /** The proxy's request id (also the x-request-id header it answered with). */
  id: string;
  requestedAt: string;
  ownerUserId: string;
  ownerUsername: string | null;
  apiKeyId: string | null;
  /** Null when the request had no key or the key was since deleted. */
  apiKeyName: string | null;
  accountId: string | null;
  /** The account's alias, else its email. */
  accountLabel: string | null;
  route: string;
  model: string | null;
  stream: boolean;
  status: RequestLogStatus;
  httpStatus: number;
  errorCode: string | null;
  inputTokens: number | null;
  cachedInputTokens: number | null;
  outputTokens: number | null;
  reasoningTokens: number | null;
  costUsd: number | null;
  latencyMs: number;
  ttfbMs: number | null;
  clientIp: string | null;
  userAgent: string | null;
  sessionId: string | null;
  /**
   * The caller's own label for the person behind the request (the x-codex-lb-end-user header),
   * so a tool behind one service key keeps per-person attribution. Not verified by the gateway.
   */
  endUser: string | null;
}

/** Newest first. Pass nextCursor back as `cursor` for the next page; null means no more rows. */
export interface RequestLogPage {
  items: RequestLogDto[];
  nextCursor: string | null;
}

export interface RequestLogQuery {
  /** Default: 30 days before `to`. */
  from?: string;
  /** Default: now. */
  to?: string;
  ownerId?: string;
  apiKeyId?: string;
  accountId?: string;
  model?: string;
  status?: RequestLogStatus;
  route?: string;
  /** Requests served by accounts this group owns or that are shared into it (members and admins). */
  groupId?: string;
  /** Exactly this end-user label. */
  endUser?: string;
  /** Case-insensitive substring of the error code. */
  q?: string;
  /** 1..500, default 50. */
  limit?: number;
  cursor?: string;
}

/**
 * The query of /api/usage/summary and /api/usage/timeseries (the latter adds bucket and groupBy).
 * Without groupId a user reads their own requests plus those served by their groups' accounts or
 * made with their groups' keys.
 */
export interface UsageQuery {
  /** Default: 24 hours before `to`. */
  from?: string;
  /** Default: now. */
  to?: string;
  /** Admins only. */
  ownerId?: string;
  /** Requests served by accounts this group owns or that are shared into it (members and admins). */
  groupId?: string;
}

export interface UsageTotalsDto {
  requests: number;
  errors: number;
  cancelled: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  /** inputTokens + outputTokens (cached and reasoning tokens are already inside those). */
  totalTokens: number;
  costUsd: number;
  /** Percentiles are estimated from log-scale histograms (within one bucket, about ±15%). */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  avgLatencyMs: number | null;
  ttfbP50Ms: number | null;
  ttfbP95Ms: number | null;
}

export interface UsagePeriodDto extends UsageTotalsDto {
  from: string;
  to: string;
}

/**
 * Usage reports are answered from hourly rollups, so `from` is rounded down and `to` up to
 * whole UTC hours; the answer carries the range actually used.
 */
export interface UsageSummaryResponse {
  current: UsagePeriodDto;
  /** The period of equal length that ends where `current` starts. */
  previous: UsagePeriodDto;
}

export type UsageBucket = 'hour' | 'day';
export type UsageGroupBy = 'model' | 'key' | 'account' | 'owner';
export const USAGE_BUCKETS: readonly UsageBucket[] = ['hour', 'day'];
export const USAGE_GROUP_BY: readonly UsageGroupBy[] = ['model', 'key', 'account', 'owner'];

export interface UsagePointDto {
  /** Bucket start (UTC). Buckets without requests are omitted. */
  t: string;
  requests: number;
  errors: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  costUsd: number;
}

export interface UsageSeriesDto {
  /** The model name, key id, account id or owner id; null for "no key", "no account", "unknown model". */
  key: string | null;
  label: string;
  points: UsagePointDto[];
}

export interface UsageTimeseriesResponse {
  from: string;
  to: string;
  bucket: UsageBucket;
  groupBy: UsageGroupBy;
  series: UsageSeriesDto[];
}

export interface KeyNearLimitDto {
  apiKeyId: string;
  name: string;
  ownerUserId: string;
  ownerUsername: string;
  kind: ApiKeyLimitKind;
  window: ApiKeyLimitWindow;
  model: string | null;
  used: number;
  max: number;
  usedPercent: number;
  resetsAt: string;
}

export interface DashboardOverviewResponse {
  accounts: AccountDto[];
  /** The current UTC day so far. */
  today: UsagePeriodDto;
  /** Active keys ordered by their most-used limit, highest first (at most 5). */
  keysNearLimit: KeyNearLimitDto[];
}
