'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { rolesApi, type CreateRoleRequest, type UpdateRoleRequest } from '@/lib/api/roles';
import { queryKeys } from '@/lib/query-keys';

export function usePermissionList(options: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: queryKeys.permissions(), queryFn: rolesApi.permissions, staleTime: 300_000, ...options });
}

export function useRoles(options: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: queryKeys.roles(), queryFn: rolesApi.list, ...options });
}

export function useRoleHolders(id: string | null) {
  return useQuery({
    queryKey: queryKeys.roleHolders(id ?? ''),
    queryFn: () => rolesApi.holders(id as string),
    enabled: Boolean(id),
  });
}

export function useRoleMutations() {
  const queryClient = useQueryClient();
  const invalidate = () => {
    void queryClient.invalidateQueries({ queryKey: queryKeys.roles() });
    // Holder counts and the users' role column follow role changes.
    void queryClient.invalidateQueries({ queryKey: queryKeys.users() });
  };
  return {
    create: useMutation({ mutationFn: (body: CreateRoleRequest) => rolesApi.create(body), onSuccess: invalidate }),
    update: useMutation({
      mutationFn: ({ id, body }: { id: string; body: UpdateRoleRequest }) => rolesApi.update(id, body),
      onSuccess: invalidate,
    }),
    remove: useMutation({ mutationFn: (id: string) => rolesApi.remove(id), onSuccess: invalidate }),
  };
}
