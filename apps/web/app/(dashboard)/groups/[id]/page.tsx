import type { Metadata } from 'next';
import { GroupDetailView } from '@/components/groups/group-detail-view';
import { NotAllowed } from '@/components/layout/not-allowed';
import { guardPage } from '@/lib/server/guard';

export const metadata: Metadata = { title: 'Group' };

export default async function GroupPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { allowed } = await guardPage('/groups');
  return allowed ? <GroupDetailView groupId={id} /> : <NotAllowed />;
}
