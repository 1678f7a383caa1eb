// recharts wants one object per x value with a field per series; the API sends one series per
// group, each with its own points. Keep the biggest groups and fold the rest into "Other" so
// the legend stays readable.
import type { UsageSeriesDto } from '@codex-lb/shared';

export type UsageMetric = 'requests' | 'totalTokens' | 'costUsd';
export const OTHER = 'Other';

export interface PivotedSeries {
  rows: Array<Record<string, number | string>>;
  groups: string[];
}

export function pivotUsage(series: UsageSeriesDto[], metric: UsageMetric, maxGroups = 6): PivotedSeries {
  // Two series may share a label (two accounts with one email); they add up in one column.
  const labelOf = (item: UsageSeriesDto) => item.label || item.key || 'unknown';
  const totals = new Map<string, number>();
  for (const item of series) {
    const sum = item.points.reduce((acc, point) => acc + (point[metric] ?? 0), 0);
    totals.set(labelOf(item), (totals.get(labelOf(item)) ?? 0) + sum);
  }
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([group]) => group);
  const kept = new Set(ranked.length > maxGroups ? ranked.slice(0, maxGroups - 1) : ranked);
  const groups = ranked.length > maxGroups ? [...kept, OTHER] : ranked;

  const byBucket = new Map<string, Record<string, number | string>>();
  for (const item of series) {
    const group = kept.has(labelOf(item)) ? labelOf(item) : OTHER;
    for (const point of item.points) {
      const row = byBucket.get(point.t) ?? { t: point.t };
      row[group] = ((row[group] as number) ?? 0) + (point[metric] ?? 0);
      byBucket.set(point.t, row);
    }
  }
  const rows = [...byBucket.values()].sort((a, b) => String(a.t).localeCompare(String(b.t)));
  // Buckets without requests are omitted by the API; missing values must be 0, not undefined,
  // or stacked areas break apart.
  for (const row of rows) for (const group of groups) row[group] ??= 0;
  return { rows, groups };
}
