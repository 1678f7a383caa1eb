// What the dashboard and the API agree on for API keys: the request bodies, the one response that
// carries a secret, and the limit vocabulary (kinds and windows).

export const API_KEY_LIMIT_KINDS = ['requests', 'input_tokens', 'output_tokens', 'total_tokens', 'cost_usd'] as const;
export type ApiKeyLimitKind = (typeof API_KEY_LIMIT_KINDS)[number];

/** Fixed calendar windows in UTC; see the API's limits/windows.ts for where each one starts. */
export const API_KEY_LIMIT_WINDOWS = ['minute', '5h', 'daily', 'weekly', 'monthly'] as const;
export type ApiKeyLimitWindow = (typeof API_KEY_LIMIT_WINDOWS)[number];

export const API_KEY_MAX_LIMITS = 20;
export const API_KEY_MAX_MODELS = 50;
export const API_KEY_MAX_ACCOUNTS = 200;
export const API_KEY_MAX_GROUPS = 50;

/** What a key is for: `proxy` (the default) and management permissions for the /api routes. */
export const API_KEY_DEFAULT_SCOPES = ['proxy'] as const;
/** Permissions a key may never carry as a scope: keys never manage users, roles or owners. */
export const API_KEY_FORBIDDEN_SCOPES = [
  'users:manage',
  'users:read',
  'owners:all',
  'accounts:assign-owner',
  'profile:write',
  'roles:read',
  'roles:manage',
  'scim-tokens:manage',
  'identity-providers:manage',
] as const;

export interface ApiKeyLimitInput {
  kind: ApiKeyLimitKind;
  window: ApiKeyLimitWindow;
  /** A count for requests and tokens, US dollars for cost_usd. */
  max: number;
  /** Counts only requests for this model (a trailing `*` matches a family); absent = all models. */
  model?: string | null;
}

export interface ApiKeyLimitDto {
  kind: ApiKeyLimitKind;
  window: ApiKeyLimitWindow;
  max: number;
  model: string | null;
  /** Settled usage in the current window plus what in-flight requests have reserved. */
  used: number;
  remaining: number;
  /** When the current window ends (ISO 8601, UTC). */
  resetsAt: string;
}

export interface ApiKeyDto {
  id: string;
  ownerUserId: string;
  ownerUsername: string;
  name: string;
  /** The first characters of the secret, enough to recognise it; never the secret. */
  prefix: string;
  expiresAt: string | null;
  revokedAt: string | null;
  /** False when disabled by its owner (reversible) or revoked (final). */
  isActive: boolean;
  lastUsedAt: string | null;
  /** Empty = every model. */
  allowedModels: string[];
  /** The account allowlist; empty with accountsRestricted false = every account of the owner. */
  accountIds: string[];
  /** True when the key may only use accountIds (even if all of them were since removed). */
  accountsRestricted: boolean;
  /** Groups whose pool the key draws on (while its owner is a member or owner of each). */
  groupIds: string[];
  /** `proxy` and/or management permissions. */
  scopes: string[];
  limits: ApiKeyLimitDto[];
  createdAt: string;
  updatedAt: string;
}

export interface CreateApiKeyRequest {
  name: string;
  expiresAt?: string | null;
  allowedModels?: string[];
  accountIds?: string[];
  limits?: ApiKeyLimitInput[];
  /** Groups to draw on; the key's owner must be a member or owner of each. */
  groupIds?: string[];
  /** Default ['proxy']. */
  scopes?: string[];
  /** Admins only: create the key for another user. */
  ownerId?: string;
}

export interface UpdateApiKeyRequest {
  name?: string;
  expiresAt?: string | null;
  allowedModels?: string[];
  /** Replaces the allowlist; an empty list lifts the restriction. */
  accountIds?: string[];
  /** Replaces every limit. */
  limits?: ApiKeyLimitInput[];
  /** Replaces the attached groups. */
  groupIds?: string[];
  /** Replaces the scopes. */
  scopes?: string[];
  isActive?: boolean;
}

/** The only answer that ever carries a key's secret: create and regenerate. */
export interface ApiKeySecretResponse {
  key: string;
  apiKey: ApiKeyDto;
}

/** What a key may still spend, for the dashboard and GET /v1/usage. */
export interface ApiKeyUsageResponse {
  apiKeyId: string;
  limits: ApiKeyLimitDto[];
}
