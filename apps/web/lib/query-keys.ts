// Every cache key in one place, so a mutation invalidates exactly what it changed.
import type { UsageBucket, UsageGroupBy } from '@codex-lb/shared';
import type { UserListFilters } from '@/lib/api/users';
import type { RequestLogFilters, UsageRange } from '@/lib/api/usage';

export const queryKeys = {
  users: (filters?: UserListFilters) => (filters ? (['users', filters] as const) : (['users'] as const)),
  accounts: (ownerId?: string) => (ownerId !== undefined ? (['accounts', ownerId] as const) : (['accounts'] as const)),
  oauthStatus: (flowId: string) => ['oauth-status', flowId] as const,
  apiKeys: (ownerId?: string) => (ownerId !== undefined ? (['api-keys', ownerId] as const) : (['api-keys'] as const)),
  usageSummary: (range: UsageRange) => ['usage', 'summary', range] as const,
  usageTimeseries: (range: UsageRange, bucket: UsageBucket, groupBy: UsageGroupBy) =>
    ['usage', 'timeseries', range, bucket, groupBy] as const,
  // Under 'usage' too, so anything that refreshes usage refreshes the overview.
  overview: () => ['usage', 'overview'] as const,
  requestLogs: (filters: RequestLogFilters) => ['request-logs', filters] as const,
  requestLog: (id: string) => ['request-log', id] as const,
  // Everything under 'groups', so a membership or pool change refreshes the list and the detail.
  groups: () => ['groups'] as const,
  group: (id: string) => ['groups', id] as const,
  groupMembers: (id: string) => ['groups', id, 'members'] as const,
  groupImpact: (id: string, principalId: string) => ['groups', id, 'impact', principalId] as const,
  effectiveAccounts: (keyId: string) => ['api-keys', keyId, 'effective-accounts'] as const,
  serviceAccounts: () => ['service-accounts'] as const,
  serviceAccountKeys: (id: string) => ['service-accounts', id, 'keys'] as const,
  permissions: () => ['permissions'] as const,
  // Everything under 'roles', so an edit refreshes the list, the holders and the users' selects.
  roles: () => ['roles'] as const,
  roleHolders: (id: string) => ['roles', id, 'holders'] as const,
  auditEvents: (filters: object) => ['audit-events', filters] as const,
  scimTokens: () => ['scim-tokens'] as const,
  loginOptions: () => ['login-options'] as const,
  identityProviders: () => ['identity-providers'] as const,
  identityInvitations: (id: string) => ['identity-providers', id, 'invitations'] as const,
  authSettings: () => ['auth-settings'] as const,
  myIdentities: () => ['me', 'identities'] as const,
};
