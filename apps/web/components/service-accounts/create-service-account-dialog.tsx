'use client';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input, Select } from '@/components/ui/input';
import { useServiceAccountMutations } from '@/hooks/use-service-accounts';
import { errorMessage } from '@/lib/api-client';
import type { GroupDto } from '@codex-lb/shared';
import { validateServiceAccountDraft } from './service-account-form';

export function CreateServiceAccountDialog({
  open,
  groups,
  onClose,
}: {
  open: boolean;
  groups: readonly GroupDto[];
  onClose: () => void;
}) {
  const { create } = useServiceAccountMutations();
  const [name, setName] = useState('');
  const [groupId, setGroupId] = useState('');
  const [errors, setErrors] = useState<{ name?: string; groupId?: string }>({});

  function close() {
    setName('');
    setGroupId('');
    setErrors({});
    create.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const draft = { name: name.trim(), groupId };
    const found = validateServiceAccountDraft(draft);
    setErrors(found);
    if (found.name || found.groupId) return;
    create.mutate(draft, {
      onSuccess: (account) => {
        toast.success(`${account.name} created. Give it a key to use it.`);
        close();
      },
    });
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title="New service account"
      description="For CI jobs and shared tools: it has no password, never signs in, and its keys draw on its group's pool."
    >
      <form onSubmit={submit} noValidate className="space-y-4" aria-label="New service account">
        {create.isError ? <Alert>{errorMessage(create.error)}</Alert> : null}
        <Field label="Name" error={errors.name}>
          <Input value={name} autoComplete="off" placeholder="ci-deploy" onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Group" hint="Groups you own." error={errors.groupId}>
          <Select value={groupId} onChange={(e) => setGroupId(e.target.value)}>
            <option value="">Choose a group…</option>
            {groups.map((group) => (
              <option key={group.id} value={group.id}>
                {group.name}
              </option>
            ))}
          </Select>
        </Field>
        <div className="flex justify-end gap-2 border-t border-zinc-100 pt-4">
          <Button variant="outline" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={create.isPending}>
            Create service account
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
