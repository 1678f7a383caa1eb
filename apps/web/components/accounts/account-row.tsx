'use client';
import { ActionMenu } from '@/components/ui/action-menu';
import { QuotaBar } from '@/components/ui/quota-bar';
import { Td } from '@/components/ui/table';
import { formatDateTime, formatRelative } from '@/lib/format';
import type { AccountDto } from '@codex-lb/shared';
import { AccountStatusBadge, accountName } from './account-status-badge';

export interface AccountRowActions {
  pause: (account: AccountDto) => void;
  resume: (account: AccountDto) => void;
  refresh: (account: AccountDto) => void;
  rename: (account: AccountDto) => void;
  reauthenticate: (account: AccountDto) => void;
  reassign?: (account: AccountDto) => void;
  remove: (account: AccountDto) => void;
}

export function AccountRow({
  account,
  showOwner,
  actions,
}: {
  account: AccountDto;
  showOwner: boolean;
  actions: AccountRowActions;
}) {
  const name = accountName(account);
  const paused = account.status === 'paused';
  // A deactivated account (the upstream refused it with 402/403) is resumed by its owner once the
  // workspace or plan is fixed.
  const resumable = paused || account.status === 'deactivated';
  return (
    <tr>
      <Td>
        <div className="font-medium text-zinc-900">{name}</div>
        <div className="text-xs text-zinc-500">
          {account.alias && account.email ? `${account.email} · ` : ''}
          {account.planType ?? 'unknown plan'}
        </div>
      </Td>
      {showOwner ? <Td className="text-zinc-700">{account.ownerUsername}</Td> : null}
      <Td>
        <AccountStatusBadge account={account} />
      </Td>
      <Td>
        <QuotaBar
          label="5 hours"
          usedPercent={account.primaryWindow?.usedPercent}
          resetsAt={account.primaryWindow?.resetsAt}
        />
      </Td>
      <Td>
        <QuotaBar
          label="Weekly"
          usedPercent={account.secondaryWindow?.usedPercent}
          resetsAt={account.secondaryWindow?.resetsAt}
        />
      </Td>
      <Td className="text-zinc-600" title={formatDateTime(account.lastRefreshAt)}>
        {account.lastRefreshAt ? formatRelative(account.lastRefreshAt) : 'never'}
      </Td>
      <Td className="text-right">
        <ActionMenu
          label={`Actions for ${name}`}
          items={[
            { label: 'Pause', onSelect: () => actions.pause(account), hidden: resumable },
            { label: 'Resume', onSelect: () => actions.resume(account), hidden: !resumable },
            { label: 'Refresh usage', onSelect: () => actions.refresh(account) },
            { label: 'Rename', onSelect: () => actions.rename(account) },
            { label: 'Sign in again', onSelect: () => actions.reauthenticate(account) },
            { label: 'Change owner', onSelect: () => actions.reassign?.(account), hidden: !actions.reassign },
            { label: 'Delete', onSelect: () => actions.remove(account), danger: true },
          ]}
        />
      </Td>
    </tr>
  );
}
