import type { Metadata } from 'next';
import { NotAllowed } from '@/components/layout/not-allowed';
import { RequestLogsView } from '@/components/request-logs/request-logs-view';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Request logs' };

export default async function RequestLogsPage() {
  const { allowed } = await guardPage('/request-logs');
  return allowed ? <RequestLogsView /> : <NotAllowed />;
}
