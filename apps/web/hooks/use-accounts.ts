'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { accountsApi } from '@/lib/api/accounts';
import { queryKeys } from '@/lib/query-keys';
import type { UpdateAccountRequest } from '@/lib/api/accounts';
import type { MoveAccountOwnerRequest } from '@codex-lb/shared';

export function useAccounts(ownerId?: string) {
  return useQuery({
    queryKey: queryKeys.accounts(ownerId ?? ''),
    queryFn: () => accountsApi.list(ownerId || undefined),
    // Quotas and cooldowns move on their own; keep the page roughly live.
    refetchInterval: 60_000,
  });
}

export function useAccountMutations() {
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: queryKeys.accounts() });
  // Shares and ownership change group pools and so what keys may use.
  const invalidatePools = () =>
    Promise.all([
      invalidate(),
      queryClient.invalidateQueries({ queryKey: queryKeys.groups() }),
      queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys() }),
    ]);
  return {
    update: useMutation({
      mutationFn: ({ id, body }: { id: string; body: UpdateAccountRequest }) => accountsApi.update(id, body),
      onSuccess: invalidate,
    }),
    remove: useMutation({ mutationFn: accountsApi.remove, onSuccess: invalidate }),
    pause: useMutation({ mutationFn: accountsApi.pause, onSuccess: invalidate }),
    resume: useMutation({ mutationFn: accountsApi.resume, onSuccess: invalidate }),
    refreshUsage: useMutation({ mutationFn: accountsApi.refreshUsage, onSuccess: invalidate }),
    reassignOwner: useMutation({
      mutationFn: ({ id, ownerId }: { id: string; ownerId: string }) => accountsApi.reassignOwner(id, ownerId),
      onSuccess: invalidate,
    }),
    moveOwner: useMutation({
      mutationFn: ({ id, body }: { id: string; body: MoveAccountOwnerRequest }) => accountsApi.moveOwner(id, body),
      onSuccess: invalidatePools,
    }),
    share: useMutation({
      mutationFn: ({ id, groupId }: { id: string; groupId: string }) => accountsApi.share(id, groupId),
      onSuccess: invalidatePools,
    }),
    withdraw: useMutation({
      mutationFn: ({ id, groupId }: { id: string; groupId: string }) => accountsApi.withdraw(id, groupId),
      onSuccess: invalidatePools,
    }),
    importAuthJson: useMutation({ mutationFn: accountsApi.importAuthJson, onSuccess: invalidate }),
  };
}
