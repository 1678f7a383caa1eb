'use client';
// A provider's invitations: an e-mail address that may join through this provider once (the
// first verified sign-in with it creates the person), with the role they get.
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Input, Select } from '@/components/ui/input';
import { useIdentityInvitationMutations, useIdentityInvitations } from '@/hooks/use-identity';
import { useRoleOptions } from '@/hooks/use-role-options';
import { errorMessage } from '@/lib/api-client';
import { formatDateTime } from '@/lib/format';

export function InvitationsPanel({ providerId, defaultRole }: { providerId: string; defaultRole: string }) {
  const invitations = useIdentityInvitations(providerId);
  const { invite, uninvite } = useIdentityInvitationMutations(providerId);
  const roles = useRoleOptions();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState(defaultRole);
  const open = (invitations.data?.items ?? []).filter((item) => !item.consumedAt);

  function submit(event: FormEvent) {
    event.preventDefault();
    const address = email.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) return toast.error('Enter an e-mail address.');
    invite.mutate(
      { email: address, role },
      {
        onSuccess: () => {
          setEmail('');
          toast.success(`${address} may now sign in with this provider.`);
        },
        onError: (error) => toast.error(errorMessage(error)),
      },
    );
  }

  return (
    <div className="space-y-2 border-t border-zinc-100 pt-3">
      <form onSubmit={submit} noValidate className="flex flex-wrap items-center gap-2" aria-label="Invite">
        <Input
          aria-label="E-mail to invite"
          placeholder="person@example.com"
          className="min-w-0 flex-1"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <Select aria-label="Role of the invited person" value={role} onChange={(event) => setRole(event.target.value)}>
          {roles.map((option) => (
            <option key={option.slug} value={option.slug}>
              {option.name}
            </option>
          ))}
        </Select>
        <Button type="submit" variant="outline" size="sm" busy={invite.isPending}>
          Invite
        </Button>
      </form>
      {open.map((invitation) => (
        <div key={invitation.id} className="flex items-center justify-between gap-2 text-zinc-600">
          <span className="min-w-0 truncate">
            {invitation.email} · {invitation.role ?? defaultRole} · until {formatDateTime(invitation.expiresAt)}
          </span>
          <Button
            variant="ghost"
            size="sm"
            onClick={() => uninvite.mutate(invitation.id, { onError: (error) => toast.error(errorMessage(error)) })}
          >
            Withdraw
          </Button>
        </div>
      ))}
    </div>
  );
}
