'use client';
import { useState } from 'react';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { Select } from '@/components/ui/input';
import { QueryState } from '@/components/ui/query-state';
import { Skeleton } from '@/components/ui/skeleton';
import { UsageChart } from '@/components/usage/usage-chart';
import { UsageSummaryCards } from '@/components/usage/usage-summary-cards';
import { useUsageTimeseries } from '@/hooks/use-usage-timeseries';
import { bucketFor, rangeForPreset, type DateRange } from '@/lib/usage-range';
import type { GroupDto } from '@codex-lb/shared';

const PERIODS = { today: 'Today', '7d': 'Last 7 days', '30d': 'Last 30 days' } as const;
type Period = keyof typeof PERIODS;

/** The group's usage: the usage endpoints filtered by groupId, by key over time. */
export function GroupUsageCard({ group }: { group: GroupDto }) {
  const [period, setPeriod] = useState<Period>('7d');
  const [range, setRange] = useState<DateRange>(() => rangeForPreset('7d'));
  const bucket = bucketFor(range);
  const series = useUsageTimeseries({ ...range, groupId: group.id }, bucket, 'key');
  return (
    <Card>
      <CardHeader
        title="Usage"
        description="Requests served through this group."
        action={
          <Select
            aria-label="Usage period"
            controlSize="sm"
            className="w-auto"
            value={period}
            onChange={(event) => {
              const next = event.target.value as Period;
              setPeriod(next);
              setRange(rangeForPreset(next));
            }}
          >
            {Object.entries(PERIODS).map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </Select>
        }
      />
      <CardBody className="space-y-4">
        <UsageSummaryCards range={range} groupId={group.id} periodLabel="previous period" />
        <QueryState query={series} feature="Usage charts" skeleton={<Skeleton className="h-64" />}>
          <UsageChart series={series.data?.series ?? []} metric="requests" bucket={bucket} height={240} />
        </QueryState>
      </CardBody>
    </Card>
  );
}
