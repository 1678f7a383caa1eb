'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  serviceAccountsApi,
  type CreateServiceAccountKeyRequest,
  type CreateServiceAccountRequest,
} from '@/lib/api/service-accounts';
import { queryKeys } from '@/lib/query-keys';

export function useServiceAccounts() {
  return useQuery({ queryKey: queryKeys.serviceAccounts(), queryFn: serviceAccountsApi.list });
}

export function useServiceAccountKeys(id: string | null) {
  return useQuery({
    queryKey: queryKeys.serviceAccountKeys(id ?? ''),
    queryFn: () => serviceAccountsApi.keys(id as string),
    enabled: Boolean(id),
  });
}

export function useServiceAccountMutations() {
  const queryClient = useQueryClient();
  const invalidate = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.serviceAccounts() }),
      // A service account's keys also show among the group's keys.
      queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys() }),
      queryClient.invalidateQueries({ queryKey: queryKeys.groups() }),
    ]);
  return {
    create: useMutation({
      mutationFn: (body: CreateServiceAccountRequest) => serviceAccountsApi.create(body),
      onSuccess: invalidate,
    }),
    disable: useMutation({ mutationFn: (id: string) => serviceAccountsApi.disable(id), onSuccess: invalidate }),
    remove: useMutation({ mutationFn: (id: string) => serviceAccountsApi.remove(id), onSuccess: invalidate }),
    createKey: useMutation({
      mutationFn: ({ id, body }: { id: string; body: CreateServiceAccountKeyRequest }) =>
        serviceAccountsApi.createKey(id, body),
      onSuccess: invalidate,
    }),
  };
}
