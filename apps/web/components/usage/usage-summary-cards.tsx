'use client';
import { StatCard } from '@/components/ui/stat-card';
import { Skeleton } from '@/components/ui/skeleton';
import { QueryState } from '@/components/ui/query-state';
import { useUsageSummary } from '@/hooks/use-usage-summary';
import { formatCompact, formatNumber, formatPercent, formatUsd } from '@/lib/format';
import type { UsageTotalsDto } from '@codex-lb/shared';
import type { DateRange } from '@/lib/usage-range';

const errorRate = (totals: UsageTotalsDto | undefined) =>
  totals && totals.requests ? (totals.errors / totals.requests) * 100 : 0;

/** Requests, tokens, cost and error rate for a range, each against the equally long period before. */
export function UsageSummaryCards({
  range,
  compareWith,
  ownerId,
  groupId,
  periodLabel,
}: {
  range: DateRange;
  /**
   * Defaults to the API's own previous period (equally long, ending where `range` starts). Pass
   * another range when that is not the fair comparison, e.g. today so far against the same hours
   * of yesterday.
   */
  compareWith?: DateRange;
  ownerId?: string;
  /** Only what the group accounts for. */
  groupId?: string;
  periodLabel: string;
}) {
  const scope = { ownerId: ownerId || undefined, groupId: groupId || undefined };
  const current = useUsageSummary({ ...range, ...scope });
  const other = useUsageSummary({ ...(compareWith ?? range), ...scope }, Boolean(compareWith));
  const now = current.data?.current;
  const before = compareWith ? other.data?.current : current.data?.previous;
  return (
    <QueryState
      query={current}
      feature="Usage"
      skeleton={
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          {[0, 1, 2, 3].map((i) => (
            <Skeleton key={i} className="h-24" />
          ))}
        </div>
      }
    >
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <StatCard
          label="Requests"
          value={formatNumber(now?.requests)}
          current={now?.requests}
          previous={before?.requests}
          periodLabel={periodLabel}
        />
        <StatCard
          label="Tokens"
          value={formatCompact(now?.totalTokens)}
          current={now?.totalTokens}
          previous={before?.totalTokens}
          periodLabel={periodLabel}
        />
        <StatCard
          label="Cost"
          value={formatUsd(now?.costUsd)}
          current={now?.costUsd}
          previous={before?.costUsd}
          periodLabel={periodLabel}
          higherIsBetter={false}
        />
        <StatCard
          label="Error rate"
          value={formatPercent(errorRate(now), 1)}
          current={errorRate(now)}
          previous={before ? errorRate(before) : undefined}
          periodLabel={periodLabel}
          higherIsBetter={false}
        />
      </div>
    </QueryState>
  );
}
