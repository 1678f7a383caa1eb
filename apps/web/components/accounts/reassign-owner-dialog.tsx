'use client';
import { useEffect, useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Select } from '@/components/ui/input';
import { useAccountMutations } from '@/hooks/use-accounts';
import { useOwners } from '@/hooks/use-owners';
import { errorMessage } from '@/lib/api-client';
import type { AccountDto } from '@codex-lb/shared';
import { accountName } from './account-status-badge';

export function ReassignOwnerDialog({ account, onClose }: { account: AccountDto | null; onClose: () => void }) {
  const { reassignOwner } = useAccountMutations();
  const { owners } = useOwners(Boolean(account));
  const [ownerId, setOwnerId] = useState('');
  useEffect(() => setOwnerId(account?.ownerUserId ?? ''), [account]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!account) return;
    reassignOwner.mutate(
      { id: account.id, ownerId },
      {
        onSuccess: (updated) => {
          toast.success(`${accountName(account)} now belongs to ${updated?.ownerUsername ?? 'the new owner'}.`);
          reassignOwner.reset();
          onClose();
        },
      },
    );
  }

  return (
    <Dialog
      open={Boolean(account)}
      onClose={onClose}
      title="Change owner"
      description="Only the owner's API keys are served by this account. Keys that listed it lose it."
    >
      <form onSubmit={submit} className="space-y-4">
        {reassignOwner.isError ? <Alert>{errorMessage(reassignOwner.error)}</Alert> : null}
        <Field label="New owner">
          <Select value={ownerId} onChange={(event) => setOwnerId(event.target.value)}>
            {owners.map((owner) => (
              <option key={owner.id} value={owner.id} disabled={!owner.isActive}>
                {owner.username}
                {owner.isActive ? '' : ' (deactivated)'}
              </option>
            ))}
          </Select>
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="outline" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={reassignOwner.isPending} disabled={!ownerId || ownerId === account?.ownerUserId}>
            Change owner
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
