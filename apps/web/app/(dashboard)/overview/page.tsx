import type { Metadata } from 'next';
import { NotAllowed } from '@/components/layout/not-allowed';
import { OverviewView } from '@/components/overview/overview-view';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Overview' };

export default async function OverviewPage() {
  const { allowed } = await guardPage('/overview');
  return allowed ? <OverviewView /> : <NotAllowed />;
}
