'use client';
import { useQuery } from '@tanstack/react-query';
import { usageApi, type UsageRange } from '@/lib/api/usage';
import { queryKeys } from '@/lib/query-keys';

export function useUsageSummary(range: UsageRange) {
  return useQuery({ queryKey: queryKeys.usageSummary(range), queryFn: () => usageApi.summary(range) });
}
