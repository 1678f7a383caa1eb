'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateUserRequest, UpdateUserRequest } from '@codex-lb/shared';
import { usersApi, type UserListFilters } from '@/lib/api/users';
import { queryKeys } from '@/lib/query-keys';

export function useUsers(filters: UserListFilters, options: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: queryKeys.users(filters), queryFn: () => usersApi.list(filters), ...options });
}

export function useUserMutations() {
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: queryKeys.users() });
  return {
    create: useMutation({ mutationFn: (body: CreateUserRequest) => usersApi.create(body), onSuccess: invalidate }),
    update: useMutation({
      mutationFn: ({ id, body }: { id: string; body: UpdateUserRequest }) => usersApi.update(id, body),
      onSuccess: invalidate,
    }),
    remove: useMutation({ mutationFn: (id: string) => usersApi.remove(id), onSuccess: invalidate }),
    resetMfa: useMutation({ mutationFn: (id: string) => usersApi.resetMfa(id), onSuccess: invalidate }),
  };
}
