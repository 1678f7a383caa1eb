import { apiRequest, buildQuery } from '@/lib/api-client';
import type {
  CursorPage,
  RequestLogDto,
  RequestLogFilters,
  UsageBucket,
  UsageGroupBy,
  UsageSummaryResponse,
  UsageTimeseriesResponse,
} from '@/lib/types';

export interface UsageRange {
  from: string;
  to: string;
  ownerId?: string;
}

export const usageApi = {
  summary: (range: UsageRange) => apiRequest<UsageSummaryResponse>('/usage/summary', { query: { ...range } }),
  timeseries: (range: UsageRange & { bucket: UsageBucket; groupBy: UsageGroupBy }) =>
    apiRequest<UsageTimeseriesResponse>('/usage/timeseries', { query: { ...range } }),
};

export const requestLogsApi = {
  list: (filters: RequestLogFilters, cursor?: string) =>
    apiRequest<CursorPage<RequestLogDto>>('/request-logs', { query: { ...filters, cursor } }),
  get: (id: string) => apiRequest<RequestLogDto>(`/request-logs/${encodeURIComponent(id)}`),
  /** A plain link: the browser streams the CSV download through the dashboard's /api proxy. */
  exportUrl: (filters: RequestLogFilters) => `/api/request-logs/export${buildQuery({ ...filters })}`,
};
