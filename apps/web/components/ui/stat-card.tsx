import { cn } from '@/lib/cn';
import { percentChange } from '@/lib/format';
import { Card } from './card';

/**
 * One headline number with its change against the previous period. `higherIsBetter` decides the
 * colour: more requests is neutral-good, a higher error rate is bad.
 */
export function StatCard({
  label,
  value,
  current,
  previous,
  higherIsBetter = true,
  periodLabel = 'previous period',
}: {
  label: string;
  value: string;
  current?: number;
  previous?: number;
  higherIsBetter?: boolean;
  periodLabel?: string;
}) {
  const change = current !== undefined && previous !== undefined ? percentChange(current, previous) : undefined;
  const good = change !== undefined && change !== null && (higherIsBetter ? change >= 0 : change <= 0);
  return (
    <Card className="p-4">
      <p className="text-sm text-zinc-500">{label}</p>
      <p className="mt-1 text-2xl font-semibold tracking-tight tabular-nums">{value}</p>
      {change !== undefined ? (
        <p className="mt-1 text-xs text-zinc-500">
          {change === null ? (
            <span>new vs {periodLabel}</span>
          ) : (
            <>
              <span
                className={cn(
                  'font-medium',
                  change === 0 ? 'text-zinc-600' : good ? 'text-emerald-600' : 'text-red-600',
                )}
              >
                {change > 0 ? '▲' : change < 0 ? '▼' : ''}{' '}
                {Math.abs(change).toFixed(change !== 0 && Math.abs(change) < 10 ? 1 : 0)}%
              </span>{' '}
              vs {periodLabel}
            </>
          )}
        </p>
      ) : null}
    </Card>
  );
}
