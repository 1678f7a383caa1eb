import type { Metadata } from 'next';
import { NotAllowed } from '@/components/layout/not-allowed';
import { PageHeader } from '@/components/ui/page-header';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Overview' };

export default async function OverviewPage() {
  const { session, allowed } = await guardPage('/overview');
  if (!allowed) return <NotAllowed />;
  return <PageHeader title="Overview" description={`Signed in as ${session.user.username} (${session.user.role}).`} />;
}
