'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  CreateIdentityInvitationRequest,
  CreateIdentityProviderRequest,
  UpdateAuthSettingsRequest,
  UpdateIdentityProviderRequest,
} from '@codex-lb/shared';
import { identityApi } from '@/lib/api/identity';
import { queryKeys } from '@/lib/query-keys';

export function useLoginOptions() {
  return useQuery({ queryKey: queryKeys.loginOptions(), queryFn: identityApi.loginOptions, retry: false });
}

export function useIdentityProviders() {
  return useQuery({ queryKey: queryKeys.identityProviders(), queryFn: identityApi.list });
}

export function useAuthSettings() {
  return useQuery({ queryKey: queryKeys.authSettings(), queryFn: identityApi.authSettings });
}

export function useMyIdentities() {
  return useQuery({ queryKey: queryKeys.myIdentities(), queryFn: identityApi.myIdentities });
}

export function useIdentityProviderMutations() {
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: queryKeys.identityProviders() });
  return {
    create: useMutation({
      mutationFn: (body: CreateIdentityProviderRequest) => identityApi.create(body),
      onSuccess: invalidate,
    }),
    update: useMutation({
      mutationFn: ({ id, body }: { id: string; body: UpdateIdentityProviderRequest }) => identityApi.update(id, body),
      onSuccess: invalidate,
    }),
    remove: useMutation({ mutationFn: (id: string) => identityApi.remove(id), onSuccess: invalidate }),
    test: useMutation({ mutationFn: (id: string) => identityApi.test(id) }),
    updateAuthSettings: useMutation({
      mutationFn: (body: UpdateAuthSettingsRequest) => identityApi.updateAuthSettings(body),
      onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.authSettings() }),
    }),
  };
}

export function useMyIdentityMutations() {
  const queryClient = useQueryClient();
  return {
    link: useMutation({ mutationFn: (slug: string) => identityApi.startLink(slug) }),
    unlink: useMutation({
      mutationFn: (id: string) => identityApi.unlink(id),
      onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.myIdentities() }),
    }),
  };
}

export function useIdentityInvitations(providerId: string) {
  return useQuery({
    queryKey: queryKeys.identityInvitations(providerId),
    queryFn: () => identityApi.invitations(providerId),
  });
}

export function useIdentityInvitationMutations(providerId: string) {
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: queryKeys.identityInvitations(providerId) });
  return {
    invite: useMutation({
      mutationFn: (body: CreateIdentityInvitationRequest) => identityApi.invite(providerId, body),
      onSuccess: invalidate,
    }),
    uninvite: useMutation({
      mutationFn: (invitationId: string) => identityApi.uninvite(providerId, invitationId),
      onSuccess: invalidate,
    }),
  };
}
