'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiKeysApi } from '@/lib/api/api-keys';
import { queryKeys } from '@/lib/query-keys';
import type { CreateApiKeyRequest, UpdateApiKeyRequest } from '@codex-lb/shared';

export function useApiKeys(ownerId?: string) {
  return useQuery({ queryKey: queryKeys.apiKeys(ownerId ?? ''), queryFn: () => apiKeysApi.list(ownerId || undefined) });
}

export function useApiKeyMutations() {
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys() });
  return {
    create: useMutation({ mutationFn: (body: CreateApiKeyRequest) => apiKeysApi.create(body), onSuccess: invalidate }),
    update: useMutation({
      mutationFn: ({ id, body }: { id: string; body: UpdateApiKeyRequest }) => apiKeysApi.update(id, body),
      onSuccess: invalidate,
    }),
    revoke: useMutation({ mutationFn: apiKeysApi.revoke, onSuccess: invalidate }),
    regenerate: useMutation({ mutationFn: apiKeysApi.regenerate, onSuccess: invalidate }),
  };
}

/** The effective-accounts explainer of one key; asked only while its drawer is open. */
export function useEffectiveAccounts(keyId: string | null) {
  return useQuery({
    queryKey: queryKeys.effectiveAccounts(keyId ?? ''),
    queryFn: () => apiKeysApi.effectiveAccounts(keyId as string),
    enabled: Boolean(keyId),
  });
}
