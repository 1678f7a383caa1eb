'use client';
import { ActionMenu } from '@/components/ui/action-menu';
import { QuotaBar } from '@/components/ui/quota-bar';
import { Td } from '@/components/ui/table';
import { formatDateTime, formatRelative } from '@/lib/format';
import { accountOwner } from '@/components/groups/group-access';
import { Badge } from '@/components/ui/badge';
import type { AccountDto } from '@codex-lb/shared';
import { AccountStatusBadge, accountName } from './account-status-badge';

export interface AccountRowActions {
  pause: (account: AccountDto) => void;
  resume: (account: AccountDto) => void;
  refresh?: (account: AccountDto) => void;
  rename: (account: AccountDto) => void;
  reauthenticate: (account: AccountDto) => void;
  reassign?: (account: AccountDto) => void;
  /** Share into / withdraw from groups, move into a group: only for accounts the caller owns. */
  groups?: (account: AccountDto) => void;
  remove: (account: AccountDto) => void;
}

export function AccountRow({
  account,
  showOwner,
  actions,
  groupNames,
  writable,
  mayManageGroups,
}: {
  account: AccountDto;
  showOwner: boolean;
  actions: AccountRowActions;
  groupNames: ReadonlyMap<string, string>;
  /** The caller may change it (accounts:write and its owner, its group's owner, or owners:all). */
  writable: boolean;
  /** The caller owns it personally (or sees every owner). */
  mayManageGroups: boolean;
}) {
  const name = accountName(account);
  const paused = account.status === 'paused';
  // A deactivated account (the upstream refused it with 402/403) is resumed by its owner once the
  // workspace or plan is fixed.
  const resumable = paused || account.status === 'deactivated';
  const owner = accountOwner(account);
  const shared = (account.sharedWith ?? []).map((id) => groupNames.get(id) ?? 'a group');
  return (
    <tr>
      <Td>
        <div className="font-medium text-zinc-900">{name}</div>
        <div className="text-xs text-zinc-500">
          {account.alias && account.email ? `${account.email} · ` : ''}
          {account.planType ?? 'unknown plan'}
        </div>
        {shared.length ? <div className="text-xs text-sky-700">Shared into {shared.join(', ')}</div> : null}
      </Td>
      {showOwner ? (
        <Td className="text-zinc-700">
          {owner.type === 'group' ? (
            <Badge tone="violet">Group: {account.ownerGroupName ?? groupNames.get(owner.id) ?? 'a group'}</Badge>
          ) : (
            account.ownerUsername
          )}
        </Td>
      ) : null}
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
            { label: 'Pause', onSelect: () => actions.pause(account), hidden: !writable || resumable },
            { label: 'Resume', onSelect: () => actions.resume(account), hidden: !writable || !resumable },
            { label: 'Refresh usage', onSelect: () => actions.refresh?.(account), hidden: !actions.refresh },
            { label: 'Rename', onSelect: () => actions.rename(account), hidden: !writable },
            { label: 'Sign in again', onSelect: () => actions.reauthenticate(account), hidden: !writable },
            {
              label: 'Groups…',
              onSelect: () => actions.groups?.(account),
              hidden: !actions.groups || !mayManageGroups,
            },
            { label: 'Change owner', onSelect: () => actions.reassign?.(account), hidden: !actions.reassign },
            { label: 'Delete', onSelect: () => actions.remove(account), danger: true, hidden: !writable },
          ]}
        />
      </Td>
    </tr>
  );
}
