'use client';
import { useState } from 'react';
import { toast } from 'sonner';
import { useCurrentSession } from '@/components/session-provider';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardHeader } from '@/components/ui/card';
import { Select } from '@/components/ui/input';
import { QueryState } from '@/components/ui/query-state';
import { Table, Td, Th } from '@/components/ui/table';
import { useGroupMembers, useGroupMutations } from '@/hooks/use-groups';
import { errorMessage } from '@/lib/api-client';
import { GROUP_ROLES, type GroupDto, type GroupMemberDto, type GroupRole } from '@codex-lb/shared';
import { AddMemberDialog } from './add-member-dialog';
import { GROUP_ROLE_LABELS, isLastOwner } from './group-access';
import { RemoveMemberDialog } from './remove-member-dialog';

export function GroupMembersCard({ group, canManage }: { group: GroupDto; canManage: boolean }) {
  const session = useCurrentSession();
  const members = useGroupMembers(group.id);
  const { setMember, removeMember } = useGroupMutations();
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<GroupMemberDto | null>(null);
  const list = members.data?.items ?? [];

  function changeRole(member: GroupMemberDto, role: GroupRole) {
    setMember.mutate(
      { id: group.id, principalId: member.principalId, role },
      {
        onSuccess: () => toast.success(`${member.username} is now ${GROUP_ROLE_LABELS[role].toLowerCase()}.`),
        onError: (error) => toast.error(errorMessage(error)),
      },
    );
  }

  return (
    <Card>
      <CardHeader
        title="Members"
        description="Owners manage the group; owners and members route attached keys through its pool."
        action={
          canManage ? (
            <Button size="sm" onClick={() => setAdding(true)}>
              Add member
            </Button>
          ) : null
        }
      />
      <QueryState query={members} feature="Members">
        <Table aria-label="Members">
          <thead>
            <tr>
              <Th>Member</Th>
              <Th>Role</Th>
              <Th className="text-right">
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody>
            {list.map((member) => {
              const lastOwner = isLastOwner(list, member.principalId);
              const me = member.principalId === session.user.id;
              return (
                <tr key={member.principalId}>
                  <Td>
                    <div className="font-medium text-zinc-900">
                      {member.username}
                      {me ? <span className="ml-1 text-xs font-normal text-zinc-500">(you)</span> : null}
                    </div>
                    {member.kind === 'service' ? (
                      <Badge tone="blue" className="mt-0.5">
                        service account
                      </Badge>
                    ) : null}
                  </Td>
                  <Td>
                    {canManage ? (
                      <Select
                        aria-label={`Role of ${member.username}`}
                        controlSize="sm"
                        className="w-auto min-w-28"
                        value={member.role}
                        disabled={setMember.isPending}
                        title={lastOwner ? 'A group keeps at least one owner.' : undefined}
                        onChange={(event) => changeRole(member, event.target.value as GroupRole)}
                      >
                        {GROUP_ROLES.map((role) => (
                          <option key={role} value={role} disabled={lastOwner && role !== 'owner'}>
                            {GROUP_ROLE_LABELS[role]}
                          </option>
                        ))}
                      </Select>
                    ) : (
                      <Badge tone={member.role === 'owner' ? 'violet' : 'neutral'}>
                        {GROUP_ROLE_LABELS[member.role]}
                      </Badge>
                    )}
                  </Td>
                  <Td className="text-right">
                    {canManage && !lastOwner ? (
                      <Button size="sm" variant="outline" onClick={() => setRemoving(member)}>
                        Remove
                      </Button>
                    ) : null}
                  </Td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      </QueryState>
      <AddMemberDialog open={adding} groupId={group.id} members={list} onClose={() => setAdding(false)} />
      <RemoveMemberDialog
        groupId={group.id}
        groupName={group.name}
        member={removing}
        busy={removeMember.isPending}
        onClose={() => setRemoving(null)}
        onConfirm={(member) =>
          removeMember.mutate(
            { id: group.id, principalId: member.principalId },
            {
              onSuccess: () => toast.success(`${member.username} removed from ${group.name}.`),
              onError: (error) => toast.error(errorMessage(error)),
              onSettled: () => setRemoving(null),
            },
          )
        }
      />
    </Card>
  );
}
