import type { Metadata } from 'next';
import { NotAllowed } from '@/components/layout/not-allowed';
import { UsageView } from '@/components/usage/usage-view';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Usage' };

export default async function UsagePage() {
  const { allowed } = await guardPage('/usage');
  return allowed ? <UsageView /> : <NotAllowed />;
}
