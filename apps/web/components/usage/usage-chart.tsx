'use client';
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { EmptyState } from '@/components/ui/empty-state';
import { formatCompact, formatUsd } from '@/lib/format';
import type { UsageBucket, UsageSeriesDto } from '@codex-lb/shared';
import { pivotUsage, type UsageMetric } from './pivot';

const COLORS = ['#18181b', '#4f46e5', '#0891b2', '#16a34a', '#d97706', '#db2777', '#a1a1aa'];

function tickLabel(iso: string, bucket: UsageBucket): string {
  const date = new Date(iso);
  return bucket === 'hour'
    ? date.toLocaleTimeString('en', { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString('en', { month: 'short', day: 'numeric' });
}

export function UsageChart({
  series,
  metric,
  bucket,
  height = 288,
}: {
  series: UsageSeriesDto[];
  metric: UsageMetric;
  bucket: UsageBucket;
  height?: number;
}) {
  const { rows, groups } = pivotUsage(series, metric);
  if (!rows.length) {
    return (
      <EmptyState
        title="No usage in this period"
        description="Requests made with your API keys show up here within a minute."
      />
    );
  }
  const format = (value: number) => (metric === 'costUsd' ? formatUsd(value) : formatCompact(value));
  return (
    <div style={{ height }} className="w-full" role="img" aria-label={`Usage chart, ${groups.length} series`}>
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e4e4e7" vertical={false} />
          <XAxis
            dataKey="t"
            tickFormatter={(v: string) => tickLabel(v, bucket)}
            tick={{ fontSize: 12, fill: '#71717a' }}
            minTickGap={24}
          />
          <YAxis tickFormatter={format} tick={{ fontSize: 12, fill: '#71717a' }} width={56} />
          <Tooltip
            labelFormatter={(v) =>
              new Date(String(v)).toLocaleString('en', {
                dateStyle: 'medium',
                timeStyle: bucket === 'hour' ? 'short' : undefined,
              })
            }
            formatter={(value) => format(Number(value))}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {groups.map((group, index) => (
            <Area
              key={group}
              type="monotone"
              dataKey={group}
              stackId="usage"
              stroke={COLORS[index % COLORS.length]}
              fill={COLORS[index % COLORS.length]}
              fillOpacity={0.15}
              isAnimationActive={false}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
