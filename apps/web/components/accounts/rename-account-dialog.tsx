'use client';
import { useEffect, useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useAccountMutations } from '@/hooks/use-accounts';
import { errorMessage } from '@/lib/api-client';
import type { AccountDto } from '@codex-lb/shared';

export function RenameAccountDialog({ account, onClose }: { account: AccountDto | null; onClose: () => void }) {
  const { update } = useAccountMutations();
  const [alias, setAlias] = useState('');
  useEffect(() => setAlias(account?.alias ?? ''), [account]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!account) return;
    update.mutate(
      { id: account.id, body: { alias: alias.trim() || null } },
      {
        onSuccess: () => {
          toast.success('Account renamed.');
          update.reset();
          onClose();
        },
      },
    );
  }

  return (
    <Dialog
      open={Boolean(account)}
      onClose={onClose}
      title="Rename account"
      description={account?.email ?? account?.chatgptAccountId}
    >
      <form onSubmit={submit} className="space-y-4">
        {update.isError ? <Alert>{errorMessage(update.error)}</Alert> : null}
        <Field
          label="Display name"
          hint="Leave empty to show the email address (or the account id when there is none)."
        >
          <Input value={alias} maxLength={80} onChange={(event) => setAlias(event.target.value)} />
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="outline" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={update.isPending}>
            Save
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
