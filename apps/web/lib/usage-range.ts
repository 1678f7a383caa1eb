// Date ranges for usage pages: presets, the equally long period before (for "vs previous"),
// and a chart bucket that keeps the number of points readable.
import type { UsageBucket } from '@codex-lb/shared';

export type RangePreset = 'today' | '7d' | '30d' | 'custom';

export interface DateRange {
  from: string;
  to: string;
}

const DAY = 86_400_000;

function startOfDay(date: Date): Date {
  const copy = new Date(date);
  copy.setHours(0, 0, 0, 0);
  return copy;
}

export function rangeForPreset(preset: Exclude<RangePreset, 'custom'>, now: Date = new Date()): DateRange {
  const today = startOfDay(now);
  const days = preset === 'today' ? 0 : preset === '7d' ? 6 : 29;
  return { from: new Date(today.getTime() - days * DAY).toISOString(), to: now.toISOString() };
}

/** yyyy-mm-dd (local) pair from date inputs; `to` covers its whole day. */
export function rangeFromDates(fromDate: string, toDate: string): DateRange | null {
  const from = new Date(`${fromDate}T00:00:00`);
  const to = new Date(`${toDate}T23:59:59.999`);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from > to) return null;
  return { from: from.toISOString(), to: to.toISOString() };
}

export function previousRange(range: DateRange): DateRange {
  const from = new Date(range.from).getTime();
  const to = new Date(range.to).getTime();
  return { from: new Date(from - (to - from)).toISOString(), to: new Date(from).toISOString() };
}

export function bucketFor(range: DateRange): UsageBucket {
  return new Date(range.to).getTime() - new Date(range.from).getTime() <= 2 * DAY ? 'hour' : 'day';
}

export function toDateInput(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
