'use client';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import type { AuditQuery } from '@codex-lb/shared';
import { auditApi } from '@/lib/api/audit';
import { queryKeys } from '@/lib/query-keys';

const PAGE_SIZE = 50;

/** Newest first, a cursor per page; "Load more" asks for the next. */
export function useAuditEvents(query: AuditQuery) {
  return useInfiniteQuery({
    queryKey: queryKeys.auditEvents(query),
    queryFn: ({ pageParam, signal }) => auditApi.list({ ...query, limit: PAGE_SIZE, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export function useAuditVerify() {
  return useMutation({ mutationFn: auditApi.verify });
}
