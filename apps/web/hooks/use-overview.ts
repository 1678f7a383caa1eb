'use client';
import { useQuery } from '@tanstack/react-query';
import { usageApi } from '@/lib/api/usage';
import { queryKeys } from '@/lib/query-keys';

/** Accounts with quotas and the keys nearest their limits, in one round trip. */
export function useOverview() {
  return useQuery({
    queryKey: queryKeys.overview(),
    queryFn: usageApi.overview,
    // Quotas and limit usage move on their own; keep the page roughly live.
    refetchInterval: 60_000,
  });
}
