import type {
  DashboardOverviewResponse,
  RequestLogDto,
  RequestLogPage,
  RequestLogQuery,
  RequestLogStatus,
  UsageBucket,
  UsageGroupBy,
  UsageSummaryResponse,
  UsageTimeseriesResponse,
} from '@codex-lb/shared';
import { apiRequest, buildQuery } from '@/lib/api-client';

export interface UsageRange {
  from: string;
  to: string;
  ownerId?: string;
  /** Only requests the group's pool or keys account for. */
  groupId?: string;
}

/** The log filters as the filter bar edits them: '' means "any" for the status select. */
export type RequestLogFilters = Omit<RequestLogQuery, 'cursor' | 'status'> & {
  status?: RequestLogStatus | '';
  groupId?: string;
};

export const usageApi = {
  summary: (range: UsageRange) => apiRequest<UsageSummaryResponse>('/usage/summary', { query: { ...range } }),
  timeseries: (range: UsageRange & { bucket: UsageBucket; groupBy: UsageGroupBy }) =>
    apiRequest<UsageTimeseriesResponse>('/usage/timeseries', { query: { ...range } }),
  overview: () => apiRequest<DashboardOverviewResponse>('/dashboard/overview'),
};

export const requestLogsApi = {
  list: (filters: RequestLogFilters, cursor?: string) =>
    apiRequest<RequestLogPage>('/request-logs', { query: { ...filters, cursor } }),
  get: (id: string) => apiRequest<RequestLogDto>(`/request-logs/${encodeURIComponent(id)}`),
  /** A plain link: the browser streams the CSV download through the dashboard's /api proxy. */
  exportUrl: (filters: RequestLogFilters) => `/api/request-logs/export${buildQuery({ ...filters })}`,
};
