// Number and time formatting in one place so every page writes "1.2M tokens" the same way.

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en');
const usd = new Intl.NumberFormat('en', { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });
const usdSmall = new Intl.NumberFormat('en', { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });

export const formatCompact = (value: number | null | undefined) => compact.format(value ?? 0);
export const formatNumber = (value: number | null | undefined) => whole.format(value ?? 0);
export const formatUsd = (value: number | null | undefined) =>
  ((value ?? 0) < 1 && (value ?? 0) > 0 ? usdSmall : usd).format(value ?? 0);
export const formatPercent = (value: number | null | undefined, digits = 0) => `${(value ?? 0).toFixed(digits)}%`;

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleDateString('en', { dateStyle: 'medium' });
}

/** "in 3h 20m", "5m ago": for reset countdowns and last-seen times. */
export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const target = new Date(iso).getTime();
  if (Number.isNaN(target)) return '—';
  const diff = target - now;
  const abs = Math.abs(diff);
  const minutes = Math.round(abs / 60_000);
  let text: string;
  if (minutes < 1) text = 'less than a minute';
  else if (minutes < 60) text = `${minutes}m`;
  else if (minutes < 48 * 60) text = `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
  else text = `${Math.round(minutes / 1440)}d`;
  if (minutes < 1) return diff >= 0 ? 'in less than a minute' : 'just now';
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Percentage change from previous to current; null when there is nothing to compare with. */
export function percentChange(current: number, previous: number): number | null {
  if (!previous) return current ? null : 0;
  return ((current - previous) / previous) * 100;
}
