'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { toast } from 'sonner';
import { useCurrentSession } from '@/components/session-provider';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { useGroup, useGroupMutations } from '@/hooks/use-groups';
import { errorMessage } from '@/lib/api-client';
import { GROUP_ROLE_LABELS, groupAbilities } from './group-access';
import { GroupKeysCard } from './group-keys-card';
import { GroupMembersCard } from './group-members-card';
import { GroupPoolCard } from './group-pool-card';
import { GroupUsageCard } from './group-usage-card';

export function GroupDetailView({ groupId }: { groupId: string }) {
  const session = useCurrentSession();
  const group = useGroup(groupId);
  const { remove } = useGroupMutations();
  const router = useRouter();
  const [deleting, setDeleting] = useState(false);
  const data = group.data;
  const abilities = groupAbilities(session, data?.myRole);

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link href="/groups" className="text-zinc-500 hover:text-zinc-900">
          ← Groups
        </Link>
      </nav>
      <QueryState query={group} feature="Group">
        {data ? (
          <>
            <PageHeader
              title={data.name}
              description={
                <>
                  <span className="font-mono">{data.slug}</span>
                  {' · '}
                  {data.myRole ? (
                    <Badge tone={data.myRole === 'owner' ? 'violet' : 'neutral'}>
                      {GROUP_ROLE_LABELS[data.myRole]}
                    </Badge>
                  ) : (
                    'you are not a member'
                  )}
                </>
              }
              actions={
                abilities.manageMembers ? (
                  <Button variant="outline" onClick={() => setDeleting(true)}>
                    Delete group
                  </Button>
                ) : null
              }
            />
            <div className="grid gap-6 xl:grid-cols-2">
              <GroupMembersCard group={data} canManage={abilities.manageMembers} />
              <GroupPoolCard group={data} canManage={abilities.managePool} />
              <GroupKeysCard group={data} />
              <div className="xl:col-span-2">
                <GroupUsageCard group={data} />
              </div>
            </div>
            <ConfirmDialog
              open={deleting}
              title={`Delete ${data.name}?`}
              description="Members’ keys stop drawing on its pool, shared accounts go back to only their owners, and its service accounts are disabled. Accounts the group owns must be moved out first."
              confirmLabel="Delete group"
              busy={remove.isPending}
              onClose={() => setDeleting(false)}
              onConfirm={() =>
                remove.mutate(data.id, {
                  onSuccess: () => {
                    toast.success(`${data.name} deleted.`);
                    router.push('/groups');
                  },
                  onError: (error) => toast.error(errorMessage(error)),
                  onSettled: () => setDeleting(false),
                })
              }
            />
          </>
        ) : null}
      </QueryState>
    </>
  );
}
