'use client';
import { accountName } from '@/components/accounts/account-status-badge';
import { GroupFilter } from '@/components/groups/group-filter';
import { OwnerFilter } from '@/components/owner-select';
import { Input, Select } from '@/components/ui/input';
import { useAccounts } from '@/hooks/use-accounts';
import { useApiKeys } from '@/hooks/use-api-keys';
import type { RequestLogFilters } from '@/lib/api/usage';
import { rangeForPreset } from '@/lib/usage-range';

const PERIODS = { today: 'Today', '7d': 'Last 7 days', '30d': 'Last 30 days' } as const;
export type LogPeriod = keyof typeof PERIODS;

export function filtersForPeriod(period: LogPeriod): Pick<RequestLogFilters, 'from'> {
  return { from: rangeForPreset(period).from };
}

export function RequestLogFiltersBar({
  period,
  filters,
  seesAllOwners,
  onPeriod,
  onChange,
}: {
  period: LogPeriod;
  filters: RequestLogFilters;
  seesAllOwners: boolean;
  onPeriod: (period: LogPeriod) => void;
  onChange: (patch: Partial<RequestLogFilters>) => void;
}) {
  const keys = useApiKeys(filters.ownerId ?? '');
  const accounts = useAccounts(filters.ownerId ?? '');
  return (
    <div className="mb-4 grid gap-3 sm:grid-cols-2 lg:flex lg:flex-wrap lg:items-end">
      <label className="text-xs text-zinc-600 lg:w-48">
        Period
        <Select className="mt-0.5" value={period} onChange={(e) => onPeriod(e.target.value as LogPeriod)}>
          {Object.entries(PERIODS).map(([id, label]) => (
            <option key={id} value={id}>
              {label}
            </option>
          ))}
        </Select>
      </label>
      <label className="text-xs text-zinc-600 lg:w-48">
        Result
        <Select
          className="mt-0.5"
          value={filters.status ?? ''}
          onChange={(e) => onChange({ status: e.target.value as RequestLogFilters['status'] })}
        >
          <option value="">All</option>
          <option value="success">Succeeded</option>
          <option value="error">Failed</option>
          <option value="cancelled">Cancelled</option>
        </Select>
      </label>
      <label className="text-xs text-zinc-600 lg:w-48">
        Model
        <Input
          className="mt-0.5"
          placeholder="Any model"
          value={filters.model ?? ''}
          onChange={(e) => onChange({ model: e.target.value })}
        />
      </label>
      <label className="text-xs text-zinc-600 lg:w-48">
        API key
        <Select
          className="mt-0.5"
          value={filters.apiKeyId ?? ''}
          onChange={(e) => onChange({ apiKeyId: e.target.value })}
        >
          <option value="">Any key</option>
          {keys.data?.map((key) => (
            <option key={key.id} value={key.id}>
              {key.name}
            </option>
          ))}
        </Select>
      </label>
      <label className="text-xs text-zinc-600 lg:w-48">
        Account
        <Select
          className="mt-0.5"
          value={filters.accountId ?? ''}
          onChange={(e) => onChange({ accountId: e.target.value })}
        >
          <option value="">Any account</option>
          {accounts.data?.map((account) => (
            <option key={account.id} value={account.id}>
              {accountName(account)}
            </option>
          ))}
        </Select>
      </label>
      <GroupFilter
        className="self-end text-xs text-zinc-600 lg:w-48 [&>select]:mt-0.5 flex flex-col"
        value={filters.groupId ?? ''}
        onChange={(groupId) => onChange({ groupId })}
      />
      {seesAllOwners ? (
        <div className="self-end">
          <OwnerFilter
            value={filters.ownerId ?? ''}
            onChange={(ownerId) => onChange({ ownerId, apiKeyId: '', accountId: '' })}
          />
        </div>
      ) : null}
    </div>
  );
}
