// Local mirrors of API shapes not yet in @codex-lb/shared (accounts, API keys, usage, request
// logs). They follow the contracts of issues 4, 5 and 7; move them to libs/shared when the API
// lands so both ends compile against one definition.

export const ACCOUNT_STATUSES = ['active', 'paused', 'rate_limited', 'quota_exceeded', 'reauth_required', 'deactivated'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export interface UsageWindowDto {
  usedPercent: number;
  windowMinutes: number;
  resetsAt: string | null;
}

export interface AccountDto {
  id: string;
  ownerUserId: string;
  ownerUsername: string;
  email: string;
  alias: string | null;
  planType: string | null;
  status: AccountStatus;
  statusReason: string | null;
  cooldownUntil: string | null;
  primaryWindow: UsageWindowDto | null;
  secondaryWindow: UsageWindowDto | null;
  lastRefreshAt: string | null;
  createdAt: string;
}

export interface UpdateAccountRequest {
  alias?: string | null;
}

export type OAuthFlowKind = 'browser' | 'device';

export interface OAuthStartResponse {
  flowId: string;
  authorizationUrl?: string;
  userCode?: string;
  verificationUrl?: string;
  expiresAt?: string;
}

export interface OAuthStatusResponse {
  status: 'pending' | 'success' | 'error';
  account?: AccountDto;
  error?: string;
}

export const LIMIT_KINDS = ['requests', 'input_tokens', 'output_tokens', 'total_tokens', 'cost_usd'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];
export const LIMIT_WINDOWS = ['minute', '5h', 'daily', 'weekly', 'monthly'] as const;
export type LimitWindow = (typeof LIMIT_WINDOWS)[number];

export interface ApiKeyLimitInput {
  kind: LimitKind;
  window: LimitWindow;
  max: number;
  model?: string;
}

export interface ApiKeyLimitDto extends ApiKeyLimitInput {
  used?: number;
  resetsAt?: string | null;
}

export interface ApiKeyDto {
  id: string;
  ownerUserId: string;
  ownerUsername?: string;
  name: string;
  prefix: string;
  expiresAt: string | null;
  revokedAt: string | null;
  isActive: boolean;
  lastUsedAt: string | null;
  allowedModels: string[];
  accountIds: string[];
  limits: ApiKeyLimitDto[];
  createdAt: string;
}

export interface CreateApiKeyRequest {
  name: string;
  expiresAt?: string | null;
  allowedModels?: string[];
  accountIds?: string[];
  limits?: ApiKeyLimitInput[];
}

export interface UpdateApiKeyRequest extends Partial<CreateApiKeyRequest> {
  isActive?: boolean;
}

/** The only answer that ever carries a key's secret. */
export interface ApiKeySecretResponse {
  key: string;
  apiKey: ApiKeyDto;
}

export interface UsageTotals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  totalTokens: number;
  costUsd: number;
}

export interface UsageSummaryResponse extends UsageTotals {
  from: string;
  to: string;
}

export type UsageBucket = 'hour' | 'day';
export type UsageGroupBy = 'model' | 'key' | 'account' | 'owner';

/** One row per (bucket, group): flat, so the API can answer straight from GROUP BY. */
export interface UsagePointDto {
  bucketStart: string;
  group: string;
  /** Human name for the group (key name, account email, username) when it is an id. */
  label?: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
}

export interface UsageTimeseriesResponse {
  bucket: UsageBucket;
  groupBy: UsageGroupBy;
  points: UsagePointDto[];
}

export interface RequestLogDto {
  id: string;
  requestId?: string;
  createdAt: string;
  ownerUserId: string;
  ownerUsername?: string;
  apiKeyId: string | null;
  apiKeyName?: string | null;
  accountId: string | null;
  accountEmail?: string | null;
  endpoint: string;
  model: string | null;
  statusCode: number;
  stream?: boolean;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
  costUsd: number;
  latencyMs: number | null;
  ttfbMs: number | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  clientIp?: string | null;
  userAgent?: string | null;
}

export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface RequestLogFilters {
  from?: string;
  to?: string;
  model?: string;
  apiKeyId?: string;
  accountId?: string;
  ownerId?: string;
  status?: 'success' | 'error' | '';
  limit?: number;
}
