'use client';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { AuthenticatedSession } from '@codex-lb/shared';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { authApi, needsSecondFactor } from '@/lib/api/auth';
import { landingPathFor } from '@/lib/landing';
import { MfaCodeStep } from './mfa-code-step';
import { ApiError, errorMessage } from '@/lib/api-client';

/** Plain words for why a sign-in failed; exported for tests. */
export function loginErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_credentials') return 'Wrong username or password.';
    if (error.code === 'mfa_invalid_code')
      return 'That code is not valid. Check the time on your device and try again.';
    if (error.code === 'rate_limited') {
      return error.retryAfter
        ? `Too many sign-in attempts. Try again in ${formatWait(error.retryAfter)}.`
        : 'Too many sign-in attempts. Wait a moment and try again.';
    }
  }
  return errorMessage(error);
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

export function LoginForm({ onSignedIn }: { onSignedIn?: (session: AuthenticatedSession) => void }) {
  const router = useRouter();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState<{ username?: string; password?: string }>({});
  const [secondStep, setSecondStep] = useState(false);

  function signedIn(session: AuthenticatedSession) {
    if (onSignedIn) return onSignedIn(session);
    router.replace(landingPathFor(session));
    router.refresh();
  }

  const login = useMutation({
    mutationFn: authApi.login,
    onSuccess: (response) => {
      if (needsSecondFactor(response)) {
        setPassword('');
        return setSecondStep(true);
      }
      signedIn(response);
    },
  });

  if (secondStep) {
    return (
      <MfaCodeStep
        username={username.trim()}
        onSignedIn={signedIn}
        onCancel={() => {
          login.reset();
          setSecondStep(false);
        }}
      />
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const next = {
      username: username.trim() ? undefined : 'Enter your username.',
      password: password ? undefined : 'Enter your password.',
    };
    setMissing(next);
    if (next.username || next.password) return;
    login.mutate({ username: username.trim(), password });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Sign in">
      <div>
        <h1 className="text-lg font-semibold">Sign in</h1>
        <p className="mt-1 text-sm text-zinc-500">Use the dashboard account your admin gave you.</p>
      </div>
      {login.isError ? <Alert>{loginErrorText(login.error)}</Alert> : null}
      <Field label="Username" error={missing.username}>
        <Input
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          autoFocus
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
      </Field>
      <Field label="Password" error={missing.password}>
        <Input
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </Field>
      <Button type="submit" className="w-full" busy={login.isPending}>
        Sign in
      </Button>
    </form>
  );
}
