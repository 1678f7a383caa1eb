'use client';
import { useState } from 'react';
import { useCan, useCurrentSession } from '@/components/session-provider';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Skeleton } from '@/components/ui/skeleton';
import { UsageChart } from '@/components/usage/usage-chart';
import { UsageSummaryCards } from '@/components/usage/usage-summary-cards';
import { useOverview } from '@/hooks/use-overview';
import { useUsageTimeseries } from '@/hooks/use-usage-timeseries';
import { rangeForPreset, type DateRange } from '@/lib/usage-range';
import { AccountQuotas } from './account-quotas';
import { KeysNearLimit } from './keys-near-limit';

const DAY = 86_400_000;

/** Today so far against the same hours of yesterday, so a morning is not compared to a full day. */
function todayRanges(now = new Date()): { today: DateRange; yesterday: DateRange } {
  const today = rangeForPreset('today', now);
  const shift = (iso: string) => new Date(new Date(iso).getTime() - DAY).toISOString();
  return { today, yesterday: { from: shift(today.from), to: shift(today.to) } };
}

export function OverviewView() {
  const { user } = useCurrentSession();
  const seesAllOwners = useCan('owners:all');
  // Fixed when the page opens; refetches keep the same window instead of creeping every render.
  const [ranges] = useState(() => ({ ...todayRanges(), week: rangeForPreset('7d') }));
  const series = useUsageTimeseries(ranges.week, 'day', 'model');
  const overview = useOverview();

  return (
    <>
      <PageHeader
        title="Overview"
        description={`Welcome back, ${user.username}.${seesAllOwners ? ' You are seeing every owner’s data.' : ''}`}
      />
      <section aria-labelledby="today-heading" className="space-y-3">
        <h2 id="today-heading" className="text-sm font-semibold text-zinc-700">
          Today
        </h2>
        <UsageSummaryCards range={ranges.today} compareWith={ranges.yesterday} periodLabel="yesterday" />
      </section>
      <section aria-labelledby="week-heading" className="mt-6 space-y-3">
        <h2 id="week-heading" className="text-sm font-semibold text-zinc-700">
          Last 7 days
        </h2>
        <UsageSummaryCards range={ranges.week} periodLabel="the 7 days before" />
      </section>
      <Card className="mt-6">
        <CardHeader title="Requests by model, last 7 days" />
        <CardBody>
          <QueryState query={series} feature="Usage charts" skeleton={<Skeleton className="h-64" />}>
            <UsageChart series={series.data?.series ?? []} metric="requests" bucket="day" height={256} />
          </QueryState>
        </CardBody>
      </Card>
      <div className="mt-6 grid items-start gap-6 xl:grid-cols-[3fr_2fr]">
        <AccountQuotas overview={overview} />
        <KeysNearLimit overview={overview} />
      </div>
    </>
  );
}
