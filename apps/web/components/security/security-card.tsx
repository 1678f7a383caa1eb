'use client';
// Settings → Security: the signed-in user's two-factor sign-in. Turning it on walks through the
// enrolment; turning it off and replacing the recovery codes each need a current code. Someone
// without a dashboard password (created by the directory or at a first provider sign-in) enrols
// with a recent sign-in at their identity provider instead of re-entering a password.
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { useCan, useCurrentSession } from '@/components/session-provider';
import { Alert } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { errorMessage } from '@/lib/api-client';
import { mfaApi, mfaOf, normaliseTotp } from '@/lib/api/mfa';
import { MfaEnrolment } from './mfa-enrolment';
import { RecoveryCodes } from './recovery-codes';

type Mode = 'idle' | 'enrol' | 'disable' | 'regenerate';

function CodeForm({
  label,
  submitLabel,
  busy,
  error,
  danger,
  onSubmit,
  onCancel,
}: {
  label: string;
  submitLabel: string;
  busy: boolean;
  error: unknown;
  danger?: boolean;
  onSubmit: (code: string) => void;
  onCancel: () => void;
}) {
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const digits = normaliseTotp(code);
    setProblem(digits ? undefined : 'Enter the 6-digit code your app shows now.');
    if (digits) onSubmit(digits);
  };
  return (
    <form onSubmit={submit} noValidate className="space-y-3" aria-label={label}>
      {error ? <Alert>{errorMessage(error)}</Alert> : null}
      <Field label="Code from your authenticator app" error={problem}>
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
        <Button type="submit" variant={danger ? 'danger' : 'primary'} busy={busy}>
          {submitLabel}
        </Button>
        <Button variant="outline" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

export function SecurityCard() {
  const session = useCurrentSession();
  const router = useRouter();
  const mfa = mfaOf(session);
  const enrolled = Boolean(mfa?.enrolled);
  // The /api/me/mfa routes need profile:write, like the password change.
  const canChange = useCan('profile:write');
  const hasPassword = session.hasPassword !== false;
  const [mode, setMode] = useState<Mode>('idle');
  const [freshCodes, setFreshCodes] = useState<string[] | null>(null);

  const disable = useMutation({
    mutationFn: mfaApi.disable,
    onSuccess: () => {
      toast.success('Two-factor sign-in is off.');
      setMode('idle');
      router.refresh();
    },
  });
  const regenerate = useMutation({
    mutationFn: mfaApi.regenerateRecoveryCodes,
    onSuccess: (data) => {
      setFreshCodes(data.recoveryCodes);
      setMode('idle');
    },
  });

  return (
    <Card id="security">
      <CardHeader
        title="Security"
        description="Two-factor sign-in asks for a code from an authenticator app after your password."
        action={
          enrolled ? (
            <Badge tone="green">2FA on</Badge>
          ) : (
            <Badge tone={mfa?.required ? 'amber' : 'neutral'}>2FA off</Badge>
          )
        }
      />
      <CardBody className="space-y-4">
        {mfa?.required && !enrolled ? (
          <Alert tone="warning">This server requires two-factor sign-in for your role. Set it up to continue.</Alert>
        ) : null}
        {!canChange ? (
          <p className="text-sm text-zinc-500">Your role cannot change its own sign-in settings.</p>
        ) : freshCodes ? (
          <div className="space-y-3">
            <Alert tone="success">New recovery codes made; the old ones no longer work.</Alert>
            <RecoveryCodes codes={freshCodes} username={session.user.username} />
            <Button variant="outline" onClick={() => setFreshCodes(null)}>
              I saved my codes
            </Button>
          </div>
        ) : mode === 'enrol' ? (
          <MfaEnrolment
            username={session.user.username}
            hasPassword={hasPassword}
            onDone={() => {
              setMode('idle');
              router.refresh();
            }}
            onCancel={() => setMode('idle')}
          />
        ) : mode === 'disable' ? (
          <CodeForm
            label="Turn off two-factor sign-in"
            submitLabel="Turn off"
            danger
            busy={disable.isPending}
            error={disable.error}
            onSubmit={(code) => disable.mutate(code)}
            onCancel={() => setMode('idle')}
          />
        ) : mode === 'regenerate' ? (
          <CodeForm
            label="Replace recovery codes"
            submitLabel="Replace codes"
            busy={regenerate.isPending}
            error={regenerate.error}
            onSubmit={(code) => regenerate.mutate(code)}
            onCancel={() => setMode('idle')}
          />
        ) : enrolled ? (
          <div className="flex flex-wrap gap-2">
            <Button variant="outline" onClick={() => setMode('regenerate')}>
              Replace recovery codes
            </Button>
            {mfa?.required ? (
              <p className="text-sm text-zinc-500">Required by the server for your role, so it cannot be turned off.</p>
            ) : (
              <Button variant="outline" onClick={() => setMode('disable')}>
                Turn off 2FA
              </Button>
            )}
          </div>
        ) : (
          <div className="space-y-2">
            {hasPassword ? null : (
              <p className="text-sm text-zinc-500" data-testid="no-password-mfa">
                You sign in through your company&apos;s identity provider and have no dashboard password: setting up
                needs a sign-in there in the last 10 minutes.
              </p>
            )}
            <Button onClick={() => setMode('enrol')}>Set up two-factor sign-in</Button>
          </div>
        )}
      </CardBody>
    </Card>
  );
}
