import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { LoginForm } from '@/components/auth/login-form';
import { landingPathFor } from '@/lib/landing';
import { getLoginOptions } from '@/lib/server/login-options';
import { getServerSession } from '@/lib/server/session';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

type Search = Record<string, string | string[] | undefined>;
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export default async function LoginPage({ searchParams }: { searchParams: Promise<Search> }) {
  // If the API is down, still show the form: signing in will then explain the problem.
  const session = await getServerSession().catch(() => ({ authenticated: false as const }));
  if (session.authenticated) redirect(landingPathFor(session));
  const search = await searchParams;
  // ?error and ?message come back from a refused sign-in at an identity provider; ?mfa=1 from one
  // that still needs the second factor; ?local=1 shows the password form whatever the policy.
  const message = first(search.message);
  const options = await getLoginOptions();
  return (
    <LoginForm
      options={options}
      providerError={
        first(search.error) ? (message ?? 'The sign-in with your identity provider failed.').slice(0, 300) : undefined
      }
      secondFactor={first(search.mfa) === '1'}
      forceLocal={first(search.local) === '1'}
    />
  );
}
