import type { Metadata } from 'next';
import { NotAllowed } from '@/components/layout/not-allowed';
import { ScimTokensView } from '@/components/scim/scim-tokens-view';
import { guardPage } from '@/lib/server/guard';
import { gatewayHint } from '@/lib/server/gateway';

export const metadata: Metadata = { title: 'SCIM provisioning' };

export default async function ScimPage() {
  const { allowed } = await guardPage('/settings/scim');
  return allowed ? <ScimTokensView gateway={gatewayHint()} /> : <NotAllowed />;
}
