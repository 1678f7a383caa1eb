import type { Metadata } from 'next';
import { GroupsView } from '@/components/groups/groups-view';
import { NotAllowed } from '@/components/layout/not-allowed';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Groups' };

export default async function GroupsPage() {
  const { allowed } = await guardPage('/groups');
  return allowed ? <GroupsView /> : <NotAllowed />;
}
