'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreateScimTokenRequest } from '@codex-lb/shared';
import { scimTokensApi } from '@/lib/api/scim-tokens';
import { queryKeys } from '@/lib/query-keys';

export function useScimTokens() {
  return useQuery({ queryKey: queryKeys.scimTokens(), queryFn: scimTokensApi.list });
}

export function useScimTokenMutations() {
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: queryKeys.scimTokens() });
  return {
    create: useMutation({
      mutationFn: (body: CreateScimTokenRequest) => scimTokensApi.create(body),
      onSuccess: invalidate,
    }),
    revoke: useMutation({ mutationFn: (id: string) => scimTokensApi.revoke(id), onSuccess: invalidate }),
  };
}
