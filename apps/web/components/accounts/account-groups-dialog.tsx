'use client';
// Sharing an account into groups, withdrawing it, and moving it into a group's ownership. The
// owner does this (or an admin); a share takes effect on the next request of each member's key.
import { useState } from 'react';
import type { AccountDto } from '@codex-lb/shared';
import { toast } from 'sonner';
import { accountOwner, attachableGroups } from '@/components/groups/group-access';
import { useCurrentSession } from '@/components/session-provider';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Select } from '@/components/ui/input';
import { useAccountMutations } from '@/hooks/use-accounts';
import { useGroups } from '@/hooks/use-groups';
import { errorMessage } from '@/lib/api-client';
import { accountName } from './account-status-badge';

export function AccountGroupsDialog({ account, onClose }: { account: AccountDto | null; onClose: () => void }) {
  const session = useCurrentSession();
  const isAdmin = session.permissions.includes('owners:all');
  const groups = useGroups({ enabled: Boolean(account) });
  const { share, withdraw, moveOwner } = useAccountMutations();
  const [target, setTarget] = useState('');
  const [confirmMove, setConfirmMove] = useState(false);
  const all = groups.data?.items ?? [];
  // Share into groups whose pool you route through; move into groups you own (admins: any).
  const shareable = isAdmin ? all : attachableGroups(all);
  const movable = isAdmin ? all : all.filter((group) => group.myRole === 'owner');
  const sharedWith = new Set(account?.sharedWith ?? []);
  const name = account ? accountName(account) : '';
  const busy = share.isPending || withdraw.isPending;
  const moveTo = target || movable[0]?.id || '';

  function close() {
    setTarget('');
    setConfirmMove(false);
    moveOwner.reset();
    onClose();
  }

  function toggleShare(groupId: string, groupName: string) {
    if (!account) return;
    const shared = sharedWith.has(groupId);
    const mutation = shared ? withdraw : share;
    mutation.mutate(
      { id: account.id, groupId },
      {
        onSuccess: () =>
          toast.success(shared ? `${name} withdrawn from ${groupName}.` : `${name} shared into ${groupName}.`),
        onError: (error) => toast.error(errorMessage(error)),
      },
    );
  }

  function move() {
    if (!account || !moveTo) return;
    const group = movable.find((g) => g.id === moveTo);
    moveOwner.mutate(
      { id: account.id, body: { groupId: moveTo } },
      {
        onSuccess: () => {
          toast.success(`${name} now belongs to ${group?.name ?? 'the group'}.`);
          close();
        },
      },
    );
  }

  const groupOwned = account ? accountOwner(account).type === 'group' : false;
  return (
    <Dialog
      open={Boolean(account)}
      onClose={close}
      title={`Groups for ${name}`}
      description="Shared: members’ keys attached to the group may use it, and you keep owning it."
    >
      <div className="space-y-6">
        <fieldset disabled={groupOwned}>
          <legend className="text-sm font-medium text-zinc-800">Shared into</legend>
          {groupOwned ? (
            <p className="mt-1 text-sm text-zinc-500">A group owns this account; it serves that group’s pool.</p>
          ) : shareable.length ? (
            <div className="mt-2 space-y-1 rounded-md border border-zinc-200 p-2">
              {shareable.map((group) => (
                <label key={group.id} className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    className="size-4"
                    disabled={busy}
                    checked={sharedWith.has(group.id)}
                    onChange={() => toggleShare(group.id, group.name)}
                  />
                  <span>{group.name}</span>
                  <span className="font-mono text-xs text-zinc-500">{group.slug}</span>
                </label>
              ))}
            </div>
          ) : (
            <p className="mt-1 text-sm text-zinc-500">
              {groups.isPending ? 'Loading groups…' : 'You are not a member of any group yet.'}
            </p>
          )}
        </fieldset>
        {!groupOwned && movable.length ? (
          <div className="space-y-3 border-t border-zinc-100 pt-4">
            <p className="text-sm font-medium text-zinc-800">Move into a group</p>
            <p className="text-xs text-zinc-500">
              The group then owns it: it stays when people come and go, and you can no longer take it back alone.
            </p>
            {moveOwner.isError ? <Alert>{errorMessage(moveOwner.error)}</Alert> : null}
            <Field label="Group">
              <Select
                value={moveTo}
                onChange={(event) => {
                  setTarget(event.target.value);
                  setConfirmMove(false);
                }}
              >
                {movable.map((group) => (
                  <option key={group.id} value={group.id}>
                    {group.name}
                  </option>
                ))}
              </Select>
            </Field>
            <div className="flex justify-end gap-2">
              {confirmMove ? (
                <>
                  <Button variant="outline" onClick={() => setConfirmMove(false)}>
                    Keep it
                  </Button>
                  <Button variant="danger" busy={moveOwner.isPending} onClick={move}>
                    Give it to the group
                  </Button>
                </>
              ) : (
                <Button variant="outline" onClick={() => setConfirmMove(true)}>
                  Move to group
                </Button>
              )}
            </div>
          </div>
        ) : null}
      </div>
    </Dialog>
  );
}
