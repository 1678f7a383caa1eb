/**
 * An upstream account's persisted status (the rules: apps/api/src/modules/accounts/account-state.ts).
 * - active: serves requests.
 * - paused: by its owner; nothing else changes it until the owner resumes it.
 * - rate_limited: cooling down after an upstream 429 until `cooldownUntil`.
 * - quota_exceeded: a quota window is at 100% until its reset (`cooldownUntil`).
 * - reauth_required: the refresh token was refused; a new sign-in ends it.
 * - deactivated: upstream refused the account itself (402/403, e.g. a deactivated workspace; the
 *   reason says why); a new sign-in or the owner's resume ends it.
 * A cooldown that has run out is shown as active. A short backoff after a 5xx is not shown.
 */
export const ACCOUNT_STATUS_VALUES = [
  'active',
  'paused',
  'rate_limited',
  'quota_exceeded',
  'reauth_required',
  'deactivated',
] as const;
export type AccountStatusValue = (typeof ACCOUNT_STATUS_VALUES)[number];

export interface QuotaWindowDto {
  usedPercent: number;
  windowMinutes: number | null;
  resetsAt: string | null;
}

export interface AccountDto {
  id: string;
  /** The owning user; null when a group owns the account. */
  ownerUserId: string | null;
  ownerUsername: string | null;
  /** Who owns the account: a user or a group (ownerId names it). */
  ownerType: 'user' | 'group';
  ownerId: string;
  /** The owning group's name when ownerType is 'group'. */
  ownerGroupName: string | null;
  /** Groups the account is shared into, among those the caller may see. */
  sharedWith: string[];
  email: string | null;
  alias: string | null;
  planType: string | null;
  chatgptAccountId: string;
  status: AccountStatusValue;
  statusReason: string | null;
  cooldownUntil: string | null;
  primaryWindow: QuotaWindowDto | null;
  secondaryWindow: QuotaWindowDto | null;
  quotaFetchedAt: string | null;
  lastRefreshAt: string | null;
  createdAt: string;
}

export type OAuthFlowKind = 'browser' | 'device';

export interface StartOAuthRequest {
  flow: OAuthFlowKind;
  ownerId?: string;
}

export type StartOAuthResponse =
  | { flowId: string; flow: 'browser'; authorizationUrl: string; expiresAt: string }
  | { flowId: string; flow: 'device'; userCode: string; verificationUrl: string; expiresAt: string };

export interface OAuthStatusResponse {
  flowId: string;
  status: 'pending' | 'success' | 'error';
  account?: AccountDto;
  error?: string;
}
