'use client';
// Enrolling in two-factor sign-in: re-enter the password (someone without one instead needs a
// sign-in of the last 10 minutes at their identity provider), scan the QR code (or type the
// secret), confirm one code, then save the recovery codes shown once. Used in Settings and on the forced
// enrolment page when the server's policy requires a second factor.
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { CopyButton } from '@/components/ui/copy-button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { ApiError, errorMessage } from '@/lib/api-client';
import { mfaApi, normaliseTotp, type TotpSetupResponse } from '@/lib/api/mfa';
import { RecoveryCodes } from './recovery-codes';
import { TotpQr } from './totp-qr';

function enrolErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_credentials') return 'That is not your current password.';
    if (error.code === 'reauthentication_required')
      return 'Your sign-in is more than 10 minutes old. Sign out, sign in again through your identity provider, then set it up.';
    if (error.code === 'mfa_invalid_code')
      return 'That code is not valid. Check the time on your device and try again.';
  }
  return errorMessage(error);
}

/** Groups of four, so the secret is easier to type. */
export const spacedSecret = (secret: string) => secret.replace(/(.{4})/g, '$1 ').trim();

export function MfaEnrolment({
  username,
  hasPassword = true,
  onEnrolled,
  onDone,
  onCancel,
}: {
  username: string;
  /** False for someone who signs in only through an identity provider (no password to re-enter). */
  hasPassword?: boolean;
  /** Called as soon as the API confirms the code (the codes are still on screen). */
  onEnrolled?: () => void;
  /** Called when the user closes the recovery codes. */
  onDone: () => void;
  onCancel?: () => void;
}) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string>();
  const [setupData, setSetupData] = useState<TotpSetupResponse | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);

  const setup = useMutation({
    mutationFn: mfaApi.setup,
    onSuccess: (data) => {
      setPassword('');
      setSetupData(data);
    },
  });
  const confirm = useMutation({
    mutationFn: mfaApi.confirm,
    onSuccess: (data) => {
      setSetupData(null);
      setCodes(data.recoveryCodes);
      onEnrolled?.();
    },
  });

  if (codes) {
    return (
      <div className="space-y-4">
        <Alert tone="success">Two-factor sign-in is on. You will be asked for a code at each sign-in.</Alert>
        <RecoveryCodes codes={codes} username={username} />
        <Button onClick={onDone}>I saved my codes</Button>
      </div>
    );
  }

  if (setupData) {
    const submitCode = (event: FormEvent) => {
      event.preventDefault();
      const digits = normaliseTotp(code);
      setProblem(digits ? undefined : 'Enter the 6-digit code your app shows now.');
      if (digits) confirm.mutate(digits);
    };
    return (
      <form onSubmit={submitCode} noValidate className="space-y-4" aria-label="Confirm two-factor sign-in">
        <p className="text-sm text-zinc-700">
          Scan this with an authenticator app (1Password, Google Authenticator, Aegis…), or type the secret by hand.
        </p>
        <div className="flex flex-wrap items-start gap-4">
          <TotpQr otpauthUrl={setupData.otpauthUrl} />
          <div className="min-w-0 space-y-2">
            <p className="text-xs text-zinc-500">Secret</p>
            <code data-testid="totp-secret" className="block font-mono text-sm break-all">
              {spacedSecret(setupData.secret)}
            </code>
            <CopyButton text={setupData.secret} label="Copy secret" />
          </div>
        </div>
        {confirm.isError ? <Alert>{enrolErrorText(confirm.error)}</Alert> : null}
        <Field label="Code from the app" error={problem}>
          <Input
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={8}
            value={code}
            onChange={(event) => setCode(event.target.value)}
          />
        </Field>
        <div className="flex gap-2">
          <Button type="submit" busy={confirm.isPending}>
            Turn on
          </Button>
          {onCancel ? (
            <Button variant="outline" onClick={onCancel}>
              Cancel
            </Button>
          ) : null}
        </div>
      </form>
    );
  }

  // Someone without a password (they sign in only through an identity provider) sends none: a
  // recent sign-in there is the proof.
  const start = (event: FormEvent) => {
    event.preventDefault();
    if (!hasPassword) return setup.mutate(undefined);
    setProblem(password ? undefined : 'Enter your current password.');
    if (password) setup.mutate(password);
  };
  return (
    <form onSubmit={start} noValidate className="space-y-4" aria-label="Set up two-factor sign-in">
      <p className="text-sm text-zinc-700">
        {hasPassword
          ? 'Confirm it is you: enter your password to start.'
          : 'You sign in through your identity provider, so your recent sign-in there confirms it is you (within 10 minutes of signing in).'}
      </p>
      {setup.isError ? <Alert>{enrolErrorText(setup.error)}</Alert> : null}
      {hasPassword ? (
        <Field label="Current password" error={problem}>
          <Input
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </Field>
      ) : null}
      <div className="flex gap-2">
        <Button type="submit" busy={setup.isPending}>
          Continue
        </Button>
        {onCancel ? (
          <Button variant="outline" onClick={onCancel}>
            Cancel
          </Button>
        ) : null}
      </div>
    </form>
  );
}
