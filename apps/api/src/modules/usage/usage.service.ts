// Usage reports from the rollups: a summary with the previous period of equal length, and time
// series grouped by model, key, account or owner with display labels. Never reads raw logs. A
// caller reads their own usage plus what their groups' accounts served and their groups' keys
// made; groupId narrows to the requests one group's accounts served.
import { Injectable } from '@nestjs/common';
import type {
  UsageBucket,
  UsageGroupBy,
  UsagePeriodDto,
  UsageSeriesDto,
  UsageSummaryResponse,
  UsageTimeseriesResponse,
} from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import type { OwnerScope } from '../../common/owner-scope';
import type { Principal } from '../../common/principal';
import { GroupIndex } from '../groups/group-index';
import type { UsageSummaryQueryDto, UsageTimeseriesQueryDto } from './dto/usage.dto';
import { NONE_ID } from './rollup-batch';
import { alignToHours, DAY_MS, previousPeriod, resolveRange, type TimeRange } from './time-range';
import { toCountersDto, toUsagePeriodDto } from './usage.mapper';
import { UsageRepository, type RollupPoint, type UsageFilter } from './usage.repository';
import { requireReadableGroup, usageScopeFor } from './usage-scope';

const DEFAULT_SPAN_MS = DAY_MS;
/** Hourly points past this span are too many to chart; ask for daily ones instead. */
export const MAX_HOURLY_SPAN_DAYS = 93;

const NONE_LABEL: Record<Exclude<UsageGroupBy, 'model'>, string> = {
  key: 'No key',
  account: 'No account',
  owner: 'Unknown owner',
};
const DELETED_LABEL: Record<Exclude<UsageGroupBy, 'model'>, string> = {
  key: 'Deleted key',
  account: 'Deleted account',
  owner: 'Deleted user',
};

@Injectable()
export class UsageService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly groups: GroupIndex,
  ) {}

  /** The caller's scope with their groups (for the overview, which reads through `period`). */
  scope(principal: Principal, ownerId?: string): OwnerScope {
    return usageScopeFor(principal, this.groups, ownerId);
  }

  async summary(principal: Principal, query: UsageSummaryQueryDto): Promise<UsageSummaryResponse> {
    const scope = this.scope(principal, query.ownerId);
    const filter = this.filter(principal, query.groupId);
    const current = alignToHours(resolveRange(query.from, query.to, DEFAULT_SPAN_MS));
    const previous = previousPeriod(current);
    const [now, before] = await Promise.all([
      this.period(scope, current, filter),
      this.period(scope, previous, filter),
    ]);
    return { current: now, previous: before };
  }

  /** Totals for a range already on whole hours (the overview's "today"). */
  async period(scope: OwnerScope, range: TimeRange, filter: UsageFilter = {}): Promise<UsagePeriodDto> {
    return toUsagePeriodDto(range, await this.usage.totals(scope, filter, range.from, range.to));
  }

  async timeseries(principal: Principal, query: UsageTimeseriesQueryDto): Promise<UsageTimeseriesResponse> {
    const scope = this.scope(principal, query.ownerId);
    const filter = this.filter(principal, query.groupId);
    const range = alignToHours(resolveRange(query.from, query.to, DEFAULT_SPAN_MS));
    const span = range.to.getTime() - range.from.getTime();
    const bucket: UsageBucket = query.bucket ?? (span <= 2 * DAY_MS ? 'hour' : 'day');
    const groupBy: UsageGroupBy = query.groupBy ?? 'model';
    if (bucket === 'hour' && span > MAX_HOURLY_SPAN_DAYS * DAY_MS) {
      throw ApiError.badRequest(
        `Hourly buckets cover at most ${MAX_HOURLY_SPAN_DAYS} days; use bucket=day for longer ranges.`,
        'validation_failed',
      );
    }
    const points = await this.usage.timeseries(scope, filter, range.from, range.to, bucket, groupBy);
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      bucket,
      groupBy,
      series: await this.toSeries(scope, points, groupBy),
    };
  }

  private filter(principal: Principal, groupId: string | undefined): UsageFilter {
    requireReadableGroup(principal, this.groups, groupId);
    return { groupId };
  }

  private async toSeries(scope: OwnerScope, points: RollupPoint[], groupBy: UsageGroupBy): Promise<UsageSeriesDto[]> {
    const groups = new Map<string, RollupPoint[]>();
    for (const point of points) {
      const list = groups.get(point.group) ?? [];
      list.push(point);
      groups.set(point.group, list);
    }
    const labels =
      groupBy === 'model'
        ? new Map<string, string | null>()
        : await this.usage.labels(
            scope,
            groupBy,
            [...groups.keys()].filter((id) => id !== NONE_ID),
          );
    const series = [...groups.entries()].map(([group, list]) => ({
      total: list.reduce((sum, p) => sum + p.requests, 0),
      dto: {
        key: group === '' || group === NONE_ID ? null : group,
        label: this.label(groupBy, group, labels),
        points: list.map((p) => ({ t: p.t.toISOString(), ...toCountersDto(p) })),
      },
    }));
    series.sort((a, b) => b.total - a.total || a.dto.label.localeCompare(b.dto.label));
    return series.map((s) => s.dto);
  }

  private label(groupBy: UsageGroupBy, group: string, labels: Map<string, string | null>): string {
    if (groupBy === 'model') return group === '' ? 'Unknown model' : group;
    if (group === NONE_ID) return NONE_LABEL[groupBy];
    // An account the caller sees only in another member's requests: named by its id alone.
    if (labels.get(group) === null) return `Account ${group.slice(0, 8)}`;
    return labels.get(group) ?? `${DELETED_LABEL[groupBy]} ${group.slice(0, 8)}`;
  }
}
