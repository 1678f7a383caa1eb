'use client';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { useCan } from '@/components/session-provider';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input, Select } from '@/components/ui/input';
import { useGroupMutations } from '@/hooks/use-groups';
import { useOwners } from '@/hooks/use-owners';
import { errorMessage } from '@/lib/api-client';
import { GROUP_ROLES, type GroupMemberDto, type GroupRole } from '@codex-lb/shared';
import { GROUP_ROLE_HINTS, GROUP_ROLE_LABELS } from './group-access';

/**
 * Admins pick from the user list; other group owners cannot list users, so they enter the user
 * id their teammate copies from their Settings page.
 */
export function AddMemberDialog({
  open,
  groupId,
  members,
  onClose,
}: {
  open: boolean;
  groupId: string;
  members: readonly GroupMemberDto[];
  onClose: () => void;
}) {
  const listsUsers = useCan('users:read');
  const { owners } = useOwners(open && listsUsers);
  const { setMember } = useGroupMutations();
  const [principalId, setPrincipalId] = useState('');
  const [role, setRole] = useState<GroupRole>('member');
  const [error, setError] = useState<string | null>(null);
  const present = new Set(members.map((member) => member.principalId));
  const candidates = owners.filter((owner) => !present.has(owner.id));

  function close() {
    setPrincipalId('');
    setRole('member');
    setError(null);
    setMember.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const id = principalId.trim();
    if (!id) return setError(listsUsers ? 'Choose a user.' : 'Enter the user id.');
    if (present.has(id)) return setError('Already a member; change their role in the list instead.');
    setError(null);
    setMember.mutate(
      { id: groupId, principalId: id, role },
      {
        onSuccess: (member) => {
          toast.success(`${member?.username ?? 'The user'} added as ${GROUP_ROLE_LABELS[role].toLowerCase()}.`);
          close();
        },
      },
    );
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Add member"
      description="Members’ keys attached to the group draw on its pool."
    >
      <form onSubmit={submit} noValidate className="space-y-4" aria-label="Add member">
        {setMember.isError ? <Alert>{errorMessage(setMember.error)}</Alert> : null}
        {listsUsers ? (
          <Field label="User" error={error}>
            <Select value={principalId} onChange={(event) => setPrincipalId(event.target.value)}>
              <option value="">Choose a user…</option>
              {candidates.map((owner) => (
                <option key={owner.id} value={owner.id} disabled={!owner.isActive}>
                  {owner.username}
                  {owner.isActive ? '' : ' (deactivated)'}
                </option>
              ))}
            </Select>
          </Field>
        ) : (
          <Field label="User id" hint="Your teammate finds it on their Settings page." error={error}>
            <Input
              value={principalId}
              autoComplete="off"
              spellCheck={false}
              className="font-mono"
              onChange={(event) => setPrincipalId(event.target.value)}
            />
          </Field>
        )}
        <fieldset>
          <legend className="text-sm font-medium text-zinc-800">Role</legend>
          <div className="mt-2 space-y-2">
            {GROUP_ROLES.map((value) => (
              <label key={value} className="flex items-start gap-2 text-sm">
                <input
                  type="radio"
                  name="role"
                  className="mt-0.5 size-4"
                  checked={role === value}
                  onChange={() => setRole(value)}
                />
                <span>
                  <span className="font-medium">{GROUP_ROLE_LABELS[value]}</span>
                  <span className="block text-xs text-zinc-500">{GROUP_ROLE_HINTS[value]}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="flex justify-end gap-2 border-t border-zinc-100 pt-4">
          <Button variant="outline" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={setMember.isPending}>
            Add member
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
