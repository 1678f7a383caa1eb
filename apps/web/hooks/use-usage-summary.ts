'use client';
import { useQuery } from '@tanstack/react-query';
import { usageApi, type UsageRange } from '@/lib/api/usage';
import { queryKeys } from '@/lib/query-keys';

/** Totals for a range and for the equally long period before it (`{ current, previous }`). */
export function useUsageSummary(range: UsageRange, enabled = true) {
  return useQuery({ queryKey: queryKeys.usageSummary(range), queryFn: () => usageApi.summary(range), enabled });
}
