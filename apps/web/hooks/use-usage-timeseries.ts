'use client';
import { useQuery } from '@tanstack/react-query';
import { usageApi, type UsageRange } from '@/lib/api/usage';
import { queryKeys } from '@/lib/query-keys';
import type { UsageBucket, UsageGroupBy } from '@codex-lb/shared';

export function useUsageTimeseries(range: UsageRange, bucket: UsageBucket, groupBy: UsageGroupBy) {
  return useQuery({
    queryKey: queryKeys.usageTimeseries(range, bucket, groupBy),
    queryFn: () => usageApi.timeseries({ ...range, bucket, groupBy }),
  });
}
