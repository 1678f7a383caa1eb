import type { Metadata } from 'next';
import { NotAllowed } from '@/components/layout/not-allowed';
import { ServiceAccountsView } from '@/components/service-accounts/service-accounts-view';
import { guardPage } from '@/lib/server/guard';
import { gatewayHint } from '@/lib/server/gateway';

export const metadata: Metadata = { title: 'Service accounts' };

export default async function ServiceAccountsPage() {
  const { allowed } = await guardPage('/service-accounts');
  return allowed ? <ServiceAccountsView gateway={gatewayHint()} /> : <NotAllowed />;
}
