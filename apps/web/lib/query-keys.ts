// Every cache key in one place, so a mutation invalidates exactly what it changed.
import type { UserListFilters } from '@/lib/api/users';
import type { UsageRange } from '@/lib/api/usage';
import type { RequestLogFilters, UsageBucket, UsageGroupBy } from '@/lib/types';

export const queryKeys = {
  users: (filters?: UserListFilters) => (filters ? (['users', filters] as const) : (['users'] as const)),
  accounts: (ownerId?: string) => (ownerId !== undefined ? (['accounts', ownerId] as const) : (['accounts'] as const)),
  oauthStatus: (flowId: string) => ['oauth-status', flowId] as const,
  apiKeys: (ownerId?: string) => (ownerId !== undefined ? (['api-keys', ownerId] as const) : (['api-keys'] as const)),
  usageSummary: (range: UsageRange) => ['usage', 'summary', range] as const,
  usageTimeseries: (range: UsageRange, bucket: UsageBucket, groupBy: UsageGroupBy) =>
    ['usage', 'timeseries', range, bucket, groupBy] as const,
  requestLogs: (filters: RequestLogFilters) => ['request-logs', filters] as const,
  requestLog: (id: string) => ['request-log', id] as const,
};
