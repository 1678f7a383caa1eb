import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { LoginForm } from '@/components/auth/login-form';
import { landingPathFor } from '@/lib/landing';
import { getServerSession } from '@/lib/server/session';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

export default async function LoginPage() {
  // If the API is down, still show the form: signing in will then explain the problem.
  const session = await getServerSession().catch(() => ({ authenticated: false as const }));
  if (session.authenticated) redirect(landingPathFor(session));
  return <LoginForm />;
}
