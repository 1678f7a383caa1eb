import type { Metadata } from 'next';
import { NotAllowed } from '@/components/layout/not-allowed';
import { IdentityProvidersView } from '@/components/identity/identity-providers-view';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Identity providers' };

export default async function IdentityProvidersPage() {
  const { allowed } = await guardPage('/settings/identity-providers');
  return allowed ? <IdentityProvidersView /> : <NotAllowed />;
}
