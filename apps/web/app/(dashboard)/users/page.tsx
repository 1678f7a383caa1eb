import type { Metadata } from 'next';
import { NotAllowed } from '@/components/layout/not-allowed';
import { UsersView } from '@/components/users/users-view';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage() {
  const { allowed } = await guardPage('/users');
  return allowed ? <UsersView /> : <NotAllowed />;
}
