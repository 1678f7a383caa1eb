import type { Metadata } from 'next';
import { AccountsView } from '@/components/accounts/accounts-view';
import { NotAllowed } from '@/components/layout/not-allowed';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Accounts' };

export default async function AccountsPage() {
  const { allowed } = await guardPage('/accounts');
  return allowed ? <AccountsView /> : <NotAllowed />;
}
