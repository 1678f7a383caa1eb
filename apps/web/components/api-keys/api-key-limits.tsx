import { QuotaBar } from '@/components/ui/quota-bar';
import { formatCompact, formatUsd } from '@/lib/format';
import type { ApiKeyLimitDto } from '@codex-lb/shared';
import { LIMIT_KIND_LABELS, LIMIT_WINDOW_LABELS } from './limits-editor';

export function limitLabel(limit: Pick<ApiKeyLimitDto, 'kind' | 'window' | 'max' | 'model'>): string {
  const max = limit.kind === 'cost_usd' ? formatUsd(limit.max) : formatCompact(limit.max);
  return `${LIMIT_KIND_LABELS[limit.kind]} ${max} ${LIMIT_WINDOW_LABELS[limit.window]}${limit.model ? ` (${limit.model})` : ''}`;
}

/** Usage against each limit of a key. */
export function ApiKeyLimits({ limits }: { limits: ApiKeyLimitDto[] }) {
  if (!limits.length) return <span className="text-sm text-zinc-500">No limits</span>;
  return (
    <div className="space-y-2">
      {limits.map((limit, index) => (
        <QuotaBar
          key={index}
          className="w-56"
          label={limitLabel(limit)}
          usedPercent={limit.max > 0 ? (limit.used / limit.max) * 100 : null}
          resetsAt={limit.resetsAt}
        />
      ))}
    </div>
  );
}
