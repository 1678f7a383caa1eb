'use client';
import { useState } from 'react';
import { toast } from 'sonner';
import { OwnerFilter } from '@/components/owner-select';
import { useCan, useCurrentSession } from '@/components/session-provider';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Table, Th } from '@/components/ui/table';
import { useAccountMutations, useAccounts } from '@/hooks/use-accounts';
import { errorMessage } from '@/lib/api-client';
import type { AccountDto } from '@codex-lb/shared';
import { accountOwner } from '@/components/groups/group-access';
import { useGroups } from '@/hooks/use-groups';
import { AccountGroupsDialog } from './account-groups-dialog';
import { AccountRow, type AccountRowActions } from './account-row';
import { accountName } from './account-status-badge';
import { AddAccountDialog } from './add-account-dialog';
import { ReassignOwnerDialog } from './reassign-owner-dialog';
import { RenameAccountDialog } from './rename-account-dialog';

export function AccountsView() {
  const seesAllOwners = useCan('owners:all');
  const canAssign = useCan('accounts:assign-owner');
  const canWrite = useCan('accounts:write');
  const readsGroups = useCan('groups:read');
  const session = useCurrentSession();
  const groups = useGroups({ enabled: readsGroups });
  const groupNames = new Map((groups.data?.items ?? []).map((group) => [group.id, group.name]));
  const [grouping, setGrouping] = useState<AccountDto | null>(null);
  const [ownerId, setOwnerId] = useState('');
  const accounts = useAccounts(ownerId);
  const mutations = useAccountMutations();
  const [adding, setAdding] = useState<'add' | 'reauth' | null>(null);
  const [renaming, setRenaming] = useState<AccountDto | null>(null);
  const [reassigning, setReassigning] = useState<AccountDto | null>(null);
  const [deleting, setDeleting] = useState<AccountDto | null>(null);

  const report = (done: string) => ({
    onSuccess: () => toast.success(done),
    onError: (error: unknown) => toast.error(errorMessage(error)),
  });
  const actions: AccountRowActions = {
    pause: (a) => mutations.pause.mutate(a.id, report(`${accountName(a)} paused; no requests will use it.`)),
    resume: (a) => mutations.resume.mutate(a.id, report(`${accountName(a)} resumed.`)),
    // Any account the caller sees may be polled, but the route needs accounts:write.
    refresh: canWrite
      ? (a) => mutations.refreshUsage.mutate(a.id, report(`Usage refreshed for ${accountName(a)}.`))
      : undefined,
    rename: setRenaming,
    reauthenticate: () => setAdding('reauth'),
    reassign: canAssign && canWrite ? setReassigning : undefined,
    groups: readsGroups && canWrite ? setGrouping : undefined,
    remove: setDeleting,
  };

  const list = accounts.data ?? [];
  // Accounts reach the page through groups too: show whose each one is when any is not yours.
  const showOwner =
    seesAllOwners || list.some((a) => accountOwner(a).type === 'group' || accountOwner(a).id !== session.user.id);
  const myGroupRoles = new Map((groups.data?.items ?? []).map((group) => [group.id, group.myRole]));
  // The API lets these change an account: owners:all any, a user their own, a group owner the
  // group's. Everything else on the page is read-only, so its actions are not offered at all.
  const writable = (account: AccountDto) => {
    if (!canWrite) return false;
    if (seesAllOwners) return true;
    const owner = accountOwner(account);
    return owner.type === 'user' ? owner.id === session.user.id : myGroupRoles.get(owner.id) === 'owner';
  };
  const addButton = canWrite ? <Button onClick={() => setAdding('add')}>Add account</Button> : null;

  return (
    <>
      <PageHeader
        title="Accounts"
        description="ChatGPT accounts in your pool. Requests are spread across active accounts by remaining quota."
        actions={addButton}
      />
      {seesAllOwners ? (
        <div className="mb-4">
          <OwnerFilter value={ownerId} onChange={setOwnerId} />
        </div>
      ) : null}
      <QueryState query={accounts} feature="Accounts">
        {list.length === 0 ? (
          <EmptyState
            title={ownerId ? 'This owner has no accounts' : 'No accounts yet'}
            description="Add a ChatGPT account by signing in, with a device code, or by uploading the auth.json from Codex CLI. Your API keys need at least one active account."
            action={addButton}
          />
        ) : (
          <Card>
            <Table>
              <thead>
                <tr>
                  <Th>Account</Th>
                  {showOwner ? <Th>Owner</Th> : null}
                  <Th>Status</Th>
                  <Th>5-hour quota</Th>
                  <Th>Weekly quota</Th>
                  <Th>Last refresh</Th>
                  <Th className="text-right">
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {list.map((account) => (
                  <AccountRow
                    key={account.id}
                    account={account}
                    showOwner={showOwner}
                    actions={actions}
                    groupNames={groupNames}
                    writable={writable(account)}
                    mayManageGroups={
                      seesAllOwners ||
                      (accountOwner(account).type === 'user' && accountOwner(account).id === session.user.id)
                    }
                  />
                ))}
              </tbody>
            </Table>
          </Card>
        )}
      </QueryState>

      <AddAccountDialog
        open={adding !== null}
        title={adding === 'reauth' ? 'Sign the account in again' : undefined}
        onClose={() => setAdding(null)}
      />
      <AccountGroupsDialog
        account={grouping && (list.find((a) => a.id === grouping.id) ?? grouping)}
        onClose={() => setGrouping(null)}
      />
      <RenameAccountDialog account={renaming} onClose={() => setRenaming(null)} />
      <ReassignOwnerDialog account={reassigning} onClose={() => setReassigning(null)} />
      <ConfirmDialog
        open={Boolean(deleting)}
        title={`Delete ${deleting ? accountName(deleting) : ''}?`}
        description="Its stored tokens are erased and no request will use it again. Past request logs stay. To use it again you must add it anew."
        confirmLabel="Delete account"
        busy={mutations.remove.isPending}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          mutations.remove.mutate(deleting.id, {
            onSuccess: () => toast.success(`${accountName(deleting)} deleted.`),
            onError: (error) => toast.error(errorMessage(error)),
            onSettled: () => setDeleting(null),
          })
        }
      />
    </>
  );
}
