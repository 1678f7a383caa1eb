import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { ForcedMfaEnrolment } from '@/components/security/forced-mfa-enrolment';
import { mustEnrolMfa } from '@/lib/api/mfa';
import { getServerSession } from '@/lib/server/session';

export const metadata: Metadata = { title: 'Set up two-factor sign-in' };
export const dynamic = 'force-dynamic';

export default async function EnrolMfaPage() {
  const session = await getServerSession();
  if (!session.authenticated) redirect('/login');
  if (session.mustChangePassword) redirect('/change-password');
  // A voluntary enrolment lives in Settings, inside the dashboard chrome.
  if (!mustEnrolMfa(session)) redirect('/settings');
  return <ForcedMfaEnrolment username={session.user.username} hasPassword={session.hasPassword !== false} />;
}
