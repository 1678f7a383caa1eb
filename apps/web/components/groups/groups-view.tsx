'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { toast } from 'sonner';
import { useCan } from '@/components/session-provider';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Table, Td, Th } from '@/components/ui/table';
import { useGroups } from '@/hooks/use-groups';
import { formatDate } from '@/lib/format';
import { CreateGroupDialog } from './create-group-dialog';
import { GROUP_ROLE_LABELS } from './group-access';

export function GroupsView() {
  const canWrite = useCan('groups:write');
  const seesAll = useCan('owners:all');
  const groups = useGroups();
  const router = useRouter();
  const [creating, setCreating] = useState(false);
  const list = groups.data?.items ?? [];
  const createButton = canWrite ? <Button onClick={() => setCreating(true)}>New group</Button> : null;

  return (
    <>
      <PageHeader
        title="Groups"
        description={
          seesAll
            ? 'Every group on this server. A group pools accounts; its owners and members route their attached keys through the pool.'
            : 'Groups you belong to. A group pools accounts; its owners and members route their attached keys through the pool.'
        }
        actions={createButton}
      />
      <QueryState query={groups} feature="Groups">
        {list.length === 0 ? (
          <EmptyState
            title="No groups yet"
            description="Create a group, add your team as members and share accounts into it, so every member's key can use the pool."
            action={createButton}
          />
        ) : (
          <Card>
            <Table>
              <thead>
                <tr>
                  <Th>Group</Th>
                  <Th>Your role</Th>
                  <Th className="text-right">Members</Th>
                  <Th className="text-right">Accounts</Th>
                  <Th>Created</Th>
                </tr>
              </thead>
              <tbody>
                {list.map((group) => (
                  <tr key={group.id}>
                    <Td>
                      <Link href={`/groups/${group.id}`} className="font-medium text-zinc-900 hover:underline">
                        {group.name}
                      </Link>
                      <div className="font-mono text-xs text-zinc-500">{group.slug}</div>
                    </Td>
                    <Td>
                      {group.myRole ? (
                        <Badge tone={group.myRole === 'owner' ? 'violet' : 'neutral'}>
                          {GROUP_ROLE_LABELS[group.myRole]}
                        </Badge>
                      ) : (
                        <span className="text-xs text-zinc-500">not a member</span>
                      )}
                    </Td>
                    <Td className="text-right tabular-nums">{group.memberCount ?? '–'}</Td>
                    <Td className="text-right text-zinc-700 tabular-nums">
                      {group.ownedAccountCount ?? 0} owned · {group.sharedAccountCount ?? 0} shared
                    </Td>
                    <Td className="text-zinc-600">{formatDate(group.createdAt)}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </Card>
        )}
      </QueryState>
      <CreateGroupDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(group) => {
          toast.success(`${group.name} created. Add members and share accounts into it.`);
          router.push(`/groups/${group.id}`);
        }}
      />
    </>
  );
}
