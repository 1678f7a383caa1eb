'use client';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { requestLogsApi } from '@/lib/api/usage';
import { queryKeys } from '@/lib/query-keys';
import type { RequestLogFilters } from '@/lib/api/usage';

/** Cursor pagination: each "Load more" asks for the page after the last cursor. */
export function useRequestLogs(filters: RequestLogFilters) {
  return useInfiniteQuery({
    queryKey: queryKeys.requestLogs(filters),
    queryFn: ({ pageParam }) => requestLogsApi.list(filters, pageParam || undefined),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor || undefined,
  });
}

export function useRequestLog(id: string | null) {
  return useQuery({
    queryKey: queryKeys.requestLog(id ?? ''),
    queryFn: () => requestLogsApi.get(id as string),
    enabled: Boolean(id),
  });
}
