'use client';
// Removing a member first shows what it costs: which keys stop reaching which of the group's
// accounts (the API's impact preview), so nobody cuts a teammate's CI off by surprise.
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { QueryState } from '@/components/ui/query-state';
import { useAccounts } from '@/hooks/use-accounts';
import { useGroupImpact } from '@/hooks/use-groups';
import { accountName } from '@/components/accounts/account-status-badge';
import type { GroupMemberDto } from '@codex-lb/shared';
import { impactLines } from './group-access';

export function RemoveMemberDialog({
  groupId,
  groupName,
  member,
  busy,
  onConfirm,
  onClose,
}: {
  groupId: string;
  groupName: string;
  member: GroupMemberDto | null;
  busy: boolean;
  onConfirm: (member: GroupMemberDto) => void;
  onClose: () => void;
}) {
  const impact = useGroupImpact(groupId, member?.principalId ?? null);
  const accounts = useAccounts();
  const labels = new Map((accounts.data ?? []).map((account) => [account.id, accountName(account)]));
  const lines = impactLines(impact.data, labels);
  return (
    <ConfirmDialog
      open={Boolean(member)}
      title={`Remove ${member?.username ?? 'member'} from ${groupName}?`}
      confirmLabel="Remove member"
      busy={busy}
      onClose={onClose}
      onConfirm={() => member && onConfirm(member)}
      description={
        <div className="space-y-3" data-testid="impact-preview">
          <p>Their keys stop drawing on this group’s pool on their next request. Accounts they own stay theirs.</p>
          <QueryState query={impact} feature="Impact preview">
            {lines.length === 0 ? (
              <p className="rounded-md bg-zinc-50 px-3 py-2 text-zinc-600">No key loses any account.</p>
            ) : (
              <div>
                <p className="font-medium text-zinc-900">
                  {lines.length} key{lines.length === 1 ? '' : 's'} will lose accounts:
                </p>
                <ul className="mt-1 space-y-1">
                  {lines.map((line) => (
                    <li key={line.apiKeyId} className="rounded-md bg-amber-50 px-3 py-2">
                      <span className="font-medium">{line.keyName}</span> loses {line.accounts.join(', ')}
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </QueryState>
        </div>
      }
    />
  );
}
