import { cn } from '@/lib/cn';
import { formatRelative } from '@/lib/format';

/** A labelled meter: used share of a quota window plus when it resets. */
export function QuotaBar({
  label,
  usedPercent,
  resetsAt,
  className,
}: {
  label: string;
  usedPercent: number | null | undefined;
  resetsAt?: string | null;
  className?: string;
}) {
  const known = typeof usedPercent === 'number' && Number.isFinite(usedPercent);
  const value = known ? Math.min(100, Math.max(0, usedPercent)) : 0;
  const tone = value >= 90 ? 'bg-red-500' : value >= 70 ? 'bg-amber-500' : 'bg-emerald-500';
  return (
    <div className={cn('min-w-36', className)}>
      <div className="flex items-baseline justify-between gap-2 text-xs">
        <span className="text-zinc-600">{label}</span>
        <span className="font-medium text-zinc-900 tabular-nums">{known ? `${Math.round(value)}%` : '—'}</span>
      </div>
      <div
        role="meter"
        aria-label={`${label} used`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={known ? Math.round(value) : undefined}
        aria-valuetext={known ? `${Math.round(value)}% used` : 'unknown'}
        className="mt-1 h-1.5 overflow-hidden rounded-full bg-zinc-200"
      >
        <div className={cn('h-full rounded-full', tone)} style={{ width: `${value}%` }} />
      </div>
      {resetsAt ? <p className="mt-0.5 text-[11px] text-zinc-500">resets {formatRelative(resetsAt)}</p> : null}
    </div>
  );
}
