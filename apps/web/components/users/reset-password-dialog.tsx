'use client';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import type { UserDto } from '@codex-lb/shared';
import { newPasswordProblem } from '@/components/auth/password-rules';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useUserMutations } from '@/hooks/use-users';
import { errorMessage } from '@/lib/api-client';

export function ResetPasswordDialog({ user, onClose }: { user: UserDto | null; onClose: () => void }) {
  const { update } = useUserMutations();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();

  function close() {
    setPassword('');
    setError(undefined);
    update.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const problem = newPasswordProblem(password);
    setError(problem);
    if (problem || !user) return;
    update.mutate(
      { id: user.id, body: { password } },
      {
        onSuccess: () => {
          toast.success(`Password reset for ${user.username}. Their sessions were ended.`);
          close();
        },
      },
    );
  }

  return (
    <Dialog
      open={Boolean(user)}
      onClose={close}
      title={`Reset password for ${user?.username ?? ''}`}
      description="They are signed out everywhere and must choose a new password at next sign-in."
    >
      <form onSubmit={submit} noValidate className="space-y-4">
        {update.isError ? <Alert>{errorMessage(update.error)}</Alert> : null}
        <Field label="Temporary password" error={error}>
          <Input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="new-password"
          />
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="outline" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={update.isPending}>
            Reset password
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
