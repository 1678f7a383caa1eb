'use client';
import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { AuthenticatedSession, LoginOptionsResponse } from '@codex-lb/shared';
import { Alert } from '@/components/ui/alert';
import { Button, buttonClasses } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { authApi, needsSecondFactor } from '@/lib/api/auth';
import { providerStartUrl } from '@/lib/api/identity';
import { landingPathFor } from '@/lib/landing';
import { MfaCodeStep } from './mfa-code-step';
import { ApiError, errorMessage } from '@/lib/api-client';

/** Plain words for why a sign-in failed; exported for tests. */
export function loginErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_credentials') return 'Wrong username or password.';
    if (error.code === 'mfa_invalid_code')
      return 'That code is not valid. Check the time on your device and try again.';
    if (error.code === 'local_login_disabled') {
      return 'Password sign-in is turned off for your account. Sign in with your company account instead.';
    }
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

export interface LoginFormProps {
  onSignedIn?: (session: AuthenticatedSession) => void;
  /** Identity providers and the local-login policy (read by the page on the server). */
  options?: LoginOptionsResponse;
  /** A refused sign-in at an identity provider, as the API's redirect described it. */
  providerError?: string;
  /** An identity provider's sign-in that waits for the second factor (?mfa=1). */
  secondFactor?: boolean;
  /** Show the password form even when the local-login policy hides it (?local=1, break-glass). */
  forceLocal?: boolean;
}

export function LoginForm({
  onSignedIn,
  options,
  providerError,
  secondFactor = false,
  forceLocal = false,
}: LoginFormProps) {
  const router = useRouter();
  const providers = options?.providers ?? [];
  // The password form stays unless the policy keeps it to admins or break-glass accounts and a
  // provider is there to sign in with instead; ?local=1 brings it back for those accounts.
  const showPassword = forceLocal || !options || options.localLogin === 'everyone' || providers.length === 0;
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState<{ username?: string; password?: string }>({});
  const [secondStep, setSecondStep] = useState(secondFactor);

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
        <p className="mt-1 text-sm text-zinc-500">
          {providers.length > 0 ? 'Use your company account' : 'Use the dashboard account your admin gave you.'}
          {providers.length > 0 && showPassword ? ', or the dashboard account your admin gave you.' : null}
        </p>
      </div>
      {providerError ? <Alert>{providerError}</Alert> : null}
      {login.isError ? <Alert>{loginErrorText(login.error)}</Alert> : null}
      {providers.length > 0 ? (
        <div className="space-y-2" data-testid="identity-providers">
          {providers.map((provider) => (
            <a
              key={provider.slug}
              href={providerStartUrl(provider.slug)}
              className={buttonClasses('outline', 'md') + ' w-full'}
            >
              Sign in with {provider.name}
            </a>
          ))}
        </div>
      ) : null}
      {showPassword ? (
        <PasswordFields {...{ username, setUsername, password, setPassword, missing, busy: login.isPending }} />
      ) : (
        <p className="text-center text-xs text-zinc-500">
          Password sign-in is kept for break-glass accounts.{' '}
          <Link className="underline" href="/login?local=1">
            Use a break-glass account
          </Link>
        </p>
      )}
    </form>
  );
}

function PasswordFields({
  username,
  setUsername,
  password,
  setPassword,
  missing,
  busy,
}: {
  username: string;
  setUsername: (value: string) => void;
  password: string;
  setPassword: (value: string) => void;
  missing: { username?: string; password?: string };
  busy: boolean;
}) {
  return (
    <>
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
      <Button type="submit" className="w-full" busy={busy}>
        Sign in
      </Button>
    </>
  );
}
