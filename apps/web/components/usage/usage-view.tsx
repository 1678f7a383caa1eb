'use client';
import { useState } from 'react';
import { GroupFilter } from '@/components/groups/group-filter';
import { OwnerFilter } from '@/components/owner-select';
import { useCan } from '@/components/session-provider';
import { buttonClasses } from '@/components/ui/button';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { Select } from '@/components/ui/input';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Skeleton } from '@/components/ui/skeleton';
import { useUsageTimeseries } from '@/hooks/use-usage-timeseries';
import { requestLogsApi } from '@/lib/api/usage';
import { cn } from '@/lib/cn';
import type { UsageGroupBy } from '@codex-lb/shared';
import { bucketFor, rangeForPreset, type DateRange, type RangePreset } from '@/lib/usage-range';
import { DateRangePicker } from './date-range-picker';
import type { UsageMetric } from './pivot';
import { UsageChart } from './usage-chart';
import { UsageSummaryCards } from './usage-summary-cards';

const GROUPS: Array<{ id: UsageGroupBy; label: string; adminOnly?: boolean }> = [
  { id: 'model', label: 'Model' },
  { id: 'key', label: 'API key' },
  { id: 'account', label: 'Account' },
  { id: 'owner', label: 'Owner', adminOnly: true },
];

const METRICS: Array<{ id: UsageMetric; label: string }> = [
  { id: 'requests', label: 'Requests' },
  { id: 'totalTokens', label: 'Tokens' },
  { id: 'costUsd', label: 'Cost' },
];

export function UsageView() {
  const seesAllOwners = useCan('owners:all');
  const [preset, setPreset] = useState<RangePreset>('7d');
  const [range, setRange] = useState<DateRange>(() => rangeForPreset('7d'));
  const [ownerId, setOwnerId] = useState('');
  const [groupId, setGroupId] = useState('');
  const scope = { ownerId: ownerId || undefined, groupId: groupId || undefined };
  const [groupBy, setGroupBy] = useState<UsageGroupBy>('model');
  const [metric, setMetric] = useState<UsageMetric>('requests');
  const bucket = bucketFor(range);
  const series = useUsageTimeseries({ ...range, ...scope }, bucket, groupBy);

  return (
    <>
      <PageHeader
        title="Usage"
        description="Requests, tokens and estimated cost across your keys and accounts."
        actions={
          <a className={buttonClasses('outline')} href={requestLogsApi.exportUrl({ ...range, ...scope })} download>
            Export CSV
          </a>
        }
      />
      <div className="mb-6 flex flex-wrap items-end gap-4">
        <DateRangePicker
          preset={preset}
          range={range}
          onChange={(nextPreset, nextRange) => {
            setPreset(nextPreset);
            setRange(nextRange);
          }}
        />
        {seesAllOwners ? <OwnerFilter value={ownerId} onChange={setOwnerId} /> : null}
        <GroupFilter value={groupId} onChange={setGroupId} />
      </div>
      <UsageSummaryCards range={range} ownerId={ownerId} groupId={groupId} periodLabel="previous period" />
      <Card className="mt-6">
        <CardHeader
          title="Over time"
          action={
            <div className="flex flex-wrap items-center gap-2">
              <div role="group" aria-label="Group by" className="flex rounded-md border border-zinc-300 p-0.5">
                {GROUPS.filter((group) => !group.adminOnly || seesAllOwners).map((group) => (
                  <button
                    key={group.id}
                    type="button"
                    aria-pressed={groupBy === group.id}
                    onClick={() => setGroupBy(group.id)}
                    className={cn(
                      'rounded px-2.5 py-1 text-sm',
                      groupBy === group.id ? 'bg-zinc-900 text-white' : 'text-zinc-700 hover:bg-zinc-100',
                    )}
                  >
                    {group.label}
                  </button>
                ))}
              </div>
              <Select
                aria-label="Measure"
                controlSize="sm"
                className="w-auto"
                value={metric}
                onChange={(e) => setMetric(e.target.value as UsageMetric)}
              >
                {METRICS.map((item) => (
                  <option key={item.id} value={item.id}>
                    {item.label}
                  </option>
                ))}
              </Select>
            </div>
          }
        />
        <CardBody>
          <QueryState query={series} feature="Usage charts" skeleton={<Skeleton className="h-72" />}>
            <UsageChart series={series.data?.series ?? []} metric={metric} bucket={bucket} />
          </QueryState>
        </CardBody>
      </Card>
    </>
  );
}
