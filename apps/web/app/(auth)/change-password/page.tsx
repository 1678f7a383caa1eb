import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { ForcedPasswordChange } from '@/components/auth/forced-password-change';
import { getServerSession } from '@/lib/server/session';

export const metadata: Metadata = { title: 'Choose a new password' };
export const dynamic = 'force-dynamic';

export default async function ChangePasswordPage() {
  const session = await getServerSession();
  if (!session.authenticated) redirect('/login');
  // A voluntary change lives in Settings, inside the dashboard chrome.
  if (!session.mustChangePassword) redirect('/settings');
  return <ForcedPasswordChange username={session.user.username} />;
}
