'use client';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { PASSWORD_MIN_LENGTH } from '@codex-lb/shared';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { authApi } from '@/lib/api/auth';
import { ApiError, errorMessage } from '@/lib/api-client';
import { validatePasswordChange, type PasswordChangeErrors, type PasswordChangeInput } from './password-rules';

const EMPTY: PasswordChangeInput = { currentPassword: '', newPassword: '', confirmPassword: '' };

export function ChangePasswordForm({
  submitLabel = 'Change password',
  onChanged,
}: {
  submitLabel?: string;
  onChanged: () => void;
}) {
  const [values, setValues] = useState(EMPTY);
  const [errors, setErrors] = useState<PasswordChangeErrors>({});

  const change = useMutation({
    mutationFn: authApi.changePassword,
    onSuccess: () => {
      setValues(EMPTY);
      onChanged();
    },
    onError: (error) => {
      // A wrong current password belongs next to that field, not in a banner.
      if (error instanceof ApiError && error.code === 'invalid_credentials') {
        setErrors({ currentPassword: 'Your current password is not correct.' });
      }
    },
  });

  const set = (key: keyof PasswordChangeInput) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [key]: event.target.value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    const found = validatePasswordChange(values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    change.mutate({ currentPassword: values.currentPassword, newPassword: values.newPassword });
  }

  const bannerError =
    change.isError && !(change.error instanceof ApiError && change.error.code === 'invalid_credentials')
      ? errorMessage(change.error)
      : null;

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Change password">
      {bannerError ? <Alert>{bannerError}</Alert> : null}
      <Field label="Current password" error={errors.currentPassword}>
        <Input
          type="password"
          name="currentPassword"
          autoComplete="current-password"
          value={values.currentPassword}
          onChange={set('currentPassword')}
        />
      </Field>
      <Field label="New password" hint={`At least ${PASSWORD_MIN_LENGTH} characters.`} error={errors.newPassword}>
        <Input
          type="password"
          name="newPassword"
          autoComplete="new-password"
          value={values.newPassword}
          onChange={set('newPassword')}
        />
      </Field>
      <Field label="Confirm new password" error={errors.confirmPassword}>
        <Input
          type="password"
          name="confirmPassword"
          autoComplete="new-password"
          value={values.confirmPassword}
          onChange={set('confirmPassword')}
        />
      </Field>
      <Button type="submit" busy={change.isPending}>
        {submitLabel}
      </Button>
    </form>
  );
}
