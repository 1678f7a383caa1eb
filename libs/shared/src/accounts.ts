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
  ownerUserId: string;
  ownerUsername: string;
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
