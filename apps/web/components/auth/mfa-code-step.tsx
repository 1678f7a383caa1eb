'use client';
// The second step of a sign-in with two-factor sign-in enrolled: the password was right and the
// API holds a short-lived pending sign-in (a cookie) until a code or a recovery code completes it.
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { AuthenticatedSession } from '@codex-lb/shared';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { ApiError, errorMessage } from '@/lib/api-client';
import { authApi } from '@/lib/api/auth';
import { normaliseRecoveryCode, normaliseTotp } from '@/lib/api/mfa';

export function mfaErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'mfa_invalid_code' || error.code === 'invalid_credentials')
      return 'That code is not valid, or was used already. Check the time on your device and try again.';
    if (error.status === 401) return 'The sign-in expired. Start again with your password.';
    if (error.code === 'rate_limited') return 'Too many attempts. Wait a moment and try again.';
  }
  return errorMessage(error);
}

export function MfaCodeStep({
  username,
  onSignedIn,
  onCancel,
}: {
  username: string;
  onSignedIn: (session: AuthenticatedSession) => void;
  onCancel: () => void;
}) {
  const [useRecovery, setUseRecovery] = useState(false);
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string>();
  const verify = useMutation({ mutationFn: authApi.verifyMfa, onSuccess: onSignedIn });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (useRecovery) {
      const recoveryCode = normaliseRecoveryCode(value);
      setProblem(recoveryCode ? undefined : 'Enter one of your recovery codes as written.');
      if (recoveryCode) verify.mutate({ recoveryCode });
    } else {
      const code = normaliseTotp(value);
      setProblem(code ? undefined : 'Enter the 6-digit code from your authenticator app.');
      if (code) verify.mutate({ code });
    }
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Two-factor sign-in">
      <div>
        <h1 className="text-lg font-semibold">Two-factor sign-in</h1>
        <p className="mt-1 text-sm text-zinc-500">
          {useRecovery
            ? 'Enter one of the recovery codes you saved; each works once.'
            : 'Enter the code your authenticator app shows'}
          {username && !useRecovery ? (
            <>
              {' '}
              for <span className="font-medium text-zinc-800">{username}</span>.
            </>
          ) : useRecovery ? null : (
            '.'
          )}
        </p>
      </div>
      {verify.isError ? <Alert>{mfaErrorText(verify.error)}</Alert> : null}
      {useRecovery ? (
        <Field label="Recovery code" error={problem}>
          <Input
            key="recovery"
            name="recoveryCode"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            autoFocus
            maxLength={64}
            value={value}
            onChange={(event) => setValue(event.target.value)}
          />
        </Field>
      ) : (
        <Field label="Authentication code" error={problem}>
          <Input
            key="totp"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            autoFocus
            maxLength={8}
            value={value}
            onChange={(event) => setValue(event.target.value)}
          />
        </Field>
      )}
      <Button type="submit" className="w-full" busy={verify.isPending}>
        Verify
      </Button>
      <div className="flex flex-wrap justify-between gap-2 text-sm">
        <button
          type="button"
          className="text-sky-700 hover:underline"
          onClick={() => {
            setUseRecovery((current) => !current);
            setValue('');
            setProblem(undefined);
            verify.reset();
          }}
        >
          {useRecovery ? 'Use an authenticator code' : 'Use a recovery code'}
        </button>
        <button type="button" className="text-zinc-600 hover:underline" onClick={onCancel}>
          Back to password
        </button>
      </div>
    </form>
  );
}
