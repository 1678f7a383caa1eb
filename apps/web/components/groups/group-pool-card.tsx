'use client';
import { useState, type FormEvent } from 'react';
import type { AccountDto } from '@codex-lb/shared';
import { toast } from 'sonner';
import { AccountStatusBadge, accountName } from '@/components/accounts/account-status-badge';
import { useCurrentSession } from '@/components/session-provider';
import { Alert } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardHeader } from '@/components/ui/card';
import { Dialog } from '@/components/ui/dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { Field } from '@/components/ui/field';
import { Select } from '@/components/ui/input';
import { QueryState } from '@/components/ui/query-state';
import { Table, Td, Th } from '@/components/ui/table';
import { useAccountMutations, useAccounts } from '@/hooks/use-accounts';
import { errorMessage } from '@/lib/api-client';
import type { GroupDto } from '@codex-lb/shared';
import { accountOwner, groupPool, personalAccounts } from './group-access';

/** The group's pool: accounts it owns and accounts members shared into it. */
export function GroupPoolCard({ group, canManage }: { group: GroupDto; canManage: boolean }) {
  const session = useCurrentSession();
  // Sharing and withdrawing are account writes (accounts:write); owners:all acts on any group.
  const writesAccounts = session.permissions.includes('accounts:write');
  const isAdmin = writesAccounts && session.permissions.includes('owners:all');
  const accounts = useAccounts();
  const { withdraw } = useAccountMutations();
  const [sharing, setSharing] = useState(false);
  const all = accounts.data ?? [];
  const { owned, shared } = groupPool(all, group.id);
  // Only a member who may route through the group shares into it (viewers only look).
  const mayShare = writesAccounts && (group.myRole === 'owner' || group.myRole === 'member' || isAdmin);
  const shareable = personalAccounts(all, session.user.id).filter((a) => !a.sharedWith?.includes(group.id));
  const rows: Array<{ account: AccountDto; how: 'owned' | 'shared' }> = [
    ...owned.map((account) => ({ account, how: 'owned' as const })),
    ...shared.map((account) => ({ account, how: 'shared' as const })),
  ];
  const shareButton = mayShare ? (
    <Button size="sm" onClick={() => setSharing(true)} disabled={!shareable.length && !accounts.isPending}>
      Share an account
    </Button>
  ) : null;

  return (
    <Card>
      <CardHeader
        title="Pool"
        description="Accounts that serve members’ keys attached to this group."
        action={shareButton}
      />
      <QueryState query={accounts} feature="Accounts">
        {rows.length === 0 ? (
          <EmptyState
            className="m-4"
            title="The pool is empty"
            description="Share one of your accounts into the group, or move one into group ownership from the Accounts page."
          />
        ) : (
          <Table aria-label="Pool">
            <thead>
              <tr>
                <Th>Account</Th>
                <Th>In the pool</Th>
                <Th>Status</Th>
                <Th className="text-right">
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ account, how }) => {
                const mine = accountOwner(account).id === session.user.id;
                return (
                  <tr key={account.id}>
                    <Td>
                      <div className="font-medium text-zinc-900">{accountName(account)}</div>
                      <div className="text-xs text-zinc-500">{account.planType ?? 'unknown plan'}</div>
                    </Td>
                    <Td>
                      {how === 'owned' ? (
                        <Badge tone="violet">Owned by the group</Badge>
                      ) : (
                        <Badge tone="blue">Shared by {mine ? 'you' : account.ownerUsername}</Badge>
                      )}
                    </Td>
                    <Td>
                      <AccountStatusBadge account={account} />
                    </Td>
                    <Td className="text-right">
                      {how === 'shared' && writesAccounts && (mine || isAdmin || canManage) ? (
                        <Button
                          size="sm"
                          variant="outline"
                          busy={withdraw.isPending && withdraw.variables?.id === account.id}
                          onClick={() =>
                            withdraw.mutate(
                              { id: account.id, groupId: group.id },
                              {
                                onSuccess: () => toast.success(`${accountName(account)} withdrawn from ${group.name}.`),
                                onError: (error) => toast.error(errorMessage(error)),
                              },
                            )
                          }
                        >
                          Withdraw
                        </Button>
                      ) : null}
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}
      </QueryState>
      <ShareAccountDialog open={sharing} group={group} accounts={shareable} onClose={() => setSharing(false)} />
    </Card>
  );
}

/** Shares one of the caller's own accounts into a group (from the group's page). */
export function ShareAccountDialog({
  open,
  group,
  accounts,
  onClose,
}: {
  open: boolean;
  group: Pick<GroupDto, 'id' | 'name'>;
  accounts: readonly AccountDto[];
  onClose: () => void;
}) {
  const { share } = useAccountMutations();
  const [accountId, setAccountId] = useState('');
  const chosen = accountId || accounts[0]?.id || '';

  function close() {
    setAccountId('');
    share.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const account = accounts.find((a) => a.id === chosen);
    if (!account) return;
    share.mutate(
      { id: account.id, groupId: group.id },
      {
        onSuccess: () => {
          toast.success(`${accountName(account)} shared into ${group.name}.`);
          close();
        },
      },
    );
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title={`Share an account into ${group.name}`}
      description="Members’ keys attached to the group may then use it. You keep owning it and can withdraw it at any time."
    >
      <form onSubmit={submit} className="space-y-4" aria-label="Share an account">
        {share.isError ? <Alert>{errorMessage(share.error)}</Alert> : null}
        {accounts.length ? (
          <Field label="Account">
            <Select value={chosen} onChange={(event) => setAccountId(event.target.value)}>
              {accounts.map((account) => (
                <option key={account.id} value={account.id}>
                  {accountName(account)}
                </option>
              ))}
            </Select>
          </Field>
        ) : (
          <p className="text-sm text-zinc-600">All of your accounts are in this group already.</p>
        )}
        <div className="flex justify-end gap-2 border-t border-zinc-100 pt-4">
          <Button variant="outline" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={share.isPending} disabled={!chosen}>
            Share account
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
