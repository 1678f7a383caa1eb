'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateGroupRequest, GroupRole, UpdateGroupRequest } from '@codex-lb/shared';
import { groupsApi } from '@/lib/api/groups';
import { queryKeys } from '@/lib/query-keys';

export function useGroups(options: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: queryKeys.groups(), queryFn: groupsApi.list, ...options });
}

export function useGroup(id: string) {
  return useQuery({ queryKey: queryKeys.group(id), queryFn: () => groupsApi.get(id) });
}

export function useGroupMembers(id: string) {
  return useQuery({ queryKey: queryKeys.groupMembers(id), queryFn: () => groupsApi.members(id) });
}

/** What removing `principalId` would cost; asked only while the confirmation is open. */
export function useGroupImpact(id: string, principalId: string | null) {
  return useQuery({
    queryKey: queryKeys.groupImpact(id, principalId ?? ''),
    queryFn: () => groupsApi.impact(id, principalId as string),
    enabled: Boolean(principalId),
    // Always fresh: the preview must match what the removal will do now.
    staleTime: 0,
    gcTime: 0,
  });
}

export function useGroupMutations() {
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: queryKeys.groups() });
  // Membership decides which pools keys draw on and which accounts and keys the caller sees.
  const invalidateAccess = () =>
    Promise.all([
      invalidate(),
      queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys() }),
      queryClient.invalidateQueries({ queryKey: queryKeys.accounts() }),
    ]);
  return {
    create: useMutation({ mutationFn: (body: CreateGroupRequest) => groupsApi.create(body), onSuccess: invalidate }),
    update: useMutation({
      mutationFn: ({ id, body }: { id: string; body: UpdateGroupRequest }) => groupsApi.update(id, body),
      onSuccess: invalidate,
    }),
    remove: useMutation({ mutationFn: (id: string) => groupsApi.remove(id), onSuccess: invalidateAccess }),
    setMember: useMutation({
      mutationFn: ({ id, principalId, role }: { id: string; principalId: string; role: GroupRole }) =>
        groupsApi.setMember(id, principalId, role),
      onSuccess: invalidateAccess,
    }),
    removeMember: useMutation({
      mutationFn: ({ id, principalId }: { id: string; principalId: string }) => groupsApi.removeMember(id, principalId),
      onSuccess: invalidateAccess,
    }),
  };
}
