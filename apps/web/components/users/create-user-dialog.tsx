'use client';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { PASSWORD_MIN_LENGTH, USERNAME_PATTERN } from '@codex-lb/shared';
import { newPasswordProblem } from '@/components/auth/password-rules';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input, Select } from '@/components/ui/input';
import type { RoleOption } from '@/hooks/use-role-options';
import { useUserMutations } from '@/hooks/use-users';
import { ApiError, errorMessage } from '@/lib/api-client';

type Errors = Partial<Record<'username' | 'password', string>>;

export function validateNewUser(username: string, password: string): Errors {
  const errors: Errors = {};
  if (!USERNAME_PATTERN.test(username)) {
    errors.username = 'Use 2–64 letters, digits, dots, dashes or underscores, starting with a letter or digit.';
  }
  const problem = newPasswordProblem(password);
  if (problem) errors.password = problem;
  return errors;
}

export function CreateUserDialog({
  open,
  roles,
  onClose,
}: {
  open: boolean;
  roles: readonly RoleOption[];
  onClose: () => void;
}) {
  const { create } = useUserMutations();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('user');
  const [errors, setErrors] = useState<Errors>({});

  function close() {
    setUsername('');
    setPassword('');
    setRole('user');
    setErrors({});
    create.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const found = validateNewUser(username.trim(), password);
    setErrors(found);
    if (Object.keys(found).length) return;
    create.mutate(
      { username: username.trim(), password, role },
      {
        onSuccess: (user) => {
          toast.success(`User ${user.username} created. They will choose a new password at first sign-in.`);
          close();
        },
        onError: (error) => {
          if (error instanceof ApiError && error.code === 'username_taken') setErrors({ username: error.message });
        },
      },
    );
  }

  const banner = create.isError && !(create.error instanceof ApiError && create.error.code === 'username_taken');
  return (
    <Dialog open={open} onClose={close} title="New user" description="Share the first password with them privately.">
      <form id="create-user" onSubmit={submit} noValidate className="space-y-4">
        {banner ? <Alert>{errorMessage(create.error)}</Alert> : null}
        <Field label="Username" error={errors.username}>
          <Input
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="off"
            autoCapitalize="none"
          />
        </Field>
        <Field label="First password" hint={`At least ${PASSWORD_MIN_LENGTH} characters.`} error={errors.password}>
          <Input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="new-password"
          />
        </Field>
        <Field label="Role" hint="What they may see and do; the Roles page lists each role's permissions.">
          <Select value={role} onChange={(e) => setRole(e.target.value)}>
            {roles.map((option) => (
              <option key={option.slug} value={option.slug}>
                {option.slug === option.name ? option.slug : `${option.name} (${option.slug})`}
              </option>
            ))}
          </Select>
        </Field>
        <div className="flex justify-end gap-2 pt-2">
          <Button variant="outline" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={create.isPending}>
            Create user
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
