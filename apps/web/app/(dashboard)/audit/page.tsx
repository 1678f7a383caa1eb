import type { Metadata } from 'next';
import { AuditView } from '@/components/audit/audit-view';
import { NotAllowed } from '@/components/layout/not-allowed';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage() {
  const { allowed } = await guardPage('/audit');
  return allowed ? <AuditView /> : <NotAllowed />;
}
