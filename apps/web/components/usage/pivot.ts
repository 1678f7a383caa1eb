// recharts wants one object per x value with a field per series; the API sends flat
// (bucket, group) rows. Keep the biggest groups and fold the rest into "Other" so the
// legend stays readable.
import type { UsagePointDto } from '@/lib/types';

export type UsageMetric = 'requests' | 'totalTokens' | 'costUsd';
export const OTHER = 'Other';

export interface PivotedSeries {
  rows: Array<Record<string, number | string>>;
  groups: string[];
}

export function pivotUsage(points: UsagePointDto[], metric: UsageMetric, maxGroups = 6): PivotedSeries {
  const labelOf = (point: UsagePointDto) => point.label || point.group || 'unknown';
  const totals = new Map<string, number>();
  for (const point of points) totals.set(labelOf(point), (totals.get(labelOf(point)) ?? 0) + (point[metric] ?? 0));
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([group]) => group);
  const kept = new Set(ranked.length > maxGroups ? ranked.slice(0, maxGroups - 1) : ranked);
  const groups = ranked.length > maxGroups ? [...kept, OTHER] : ranked;

  const byBucket = new Map<string, Record<string, number | string>>();
  for (const point of points) {
    const row = byBucket.get(point.bucketStart) ?? { bucketStart: point.bucketStart };
    const group = kept.has(labelOf(point)) ? labelOf(point) : OTHER;
    row[group] = ((row[group] as number) ?? 0) + (point[metric] ?? 0);
    byBucket.set(point.bucketStart, row);
  }
  const rows = [...byBucket.values()].sort((a, b) => String(a.bucketStart).localeCompare(String(b.bucketStart)));
  // Missing values must be 0, not undefined, or stacked areas break apart.
  for (const row of rows) for (const group of groups) row[group] ??= 0;
  return { rows, groups };
}
