import type { Metadata } from 'next';
import { NotAllowed } from '@/components/layout/not-allowed';
import { RolesView } from '@/components/roles/roles-view';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Roles' };

export default async function RolesPage() {
  const { allowed } = await guardPage('/roles');
  return allowed ? <RolesView /> : <NotAllowed />;
}
