// Endpoint functions for company sign-in: identity providers (admin), the login page's provider
// list, the local-login policy, and the signed-in user's own linked identities.
import type {
  AuthSettingsDto,
  CreateIdentityInvitationRequest,
  IdentityInvitationDto,
  CreateIdentityProviderRequest,
  IdentityProviderDto,
  IdentityProviderTestResult,
  LinkedIdentityDto,
  LoginOptionsResponse,
  StartLinkResponse,
  UpdateAuthSettingsRequest,
  UpdateIdentityProviderRequest,
} from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';

const one = (id: string) => `/identity-providers/${encodeURIComponent(id)}`;

export const identityApi = {
  loginOptions: () => apiRequest<LoginOptionsResponse>('/dashboard-auth/providers'),
  list: () => apiRequest<{ items: IdentityProviderDto[] }>('/identity-providers'),
  create: (body: CreateIdentityProviderRequest) =>
    apiRequest<IdentityProviderDto>('/identity-providers', { method: 'POST', body }),
  update: (id: string, body: UpdateIdentityProviderRequest) =>
    apiRequest<IdentityProviderDto>(one(id), { method: 'PATCH', body }),
  remove: (id: string) => apiRequest<void>(one(id), { method: 'DELETE' }),
  test: (id: string) => apiRequest<IdentityProviderTestResult>(`${one(id)}/test`, { method: 'POST' }),
  invitations: (id: string) => apiRequest<{ items: IdentityInvitationDto[] }>(`${one(id)}/invitations`),
  invite: (id: string, body: CreateIdentityInvitationRequest) =>
    apiRequest<IdentityInvitationDto>(`${one(id)}/invitations`, { method: 'POST', body }),
  uninvite: (id: string, invitationId: string) =>
    apiRequest<void>(`${one(id)}/invitations/${encodeURIComponent(invitationId)}`, { method: 'DELETE' }),
  authSettings: () => apiRequest<AuthSettingsDto>('/auth-settings'),
  updateAuthSettings: (body: UpdateAuthSettingsRequest) =>
    apiRequest<AuthSettingsDto>('/auth-settings', { method: 'PATCH', body }),
  myIdentities: () => apiRequest<{ items: LinkedIdentityDto[] }>('/me/identities'),
  startLink: (slug: string) =>
    apiRequest<StartLinkResponse>(`/me/identities/${encodeURIComponent(slug)}/link`, { method: 'POST' }),
  unlink: (id: string) => apiRequest<void>(`/me/identities/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};

/** Where the browser goes to sign in with a provider (a full navigation: the API redirects). */
export function providerStartUrl(slug: string): string {
  return `/api/dashboard-auth/oidc/${encodeURIComponent(slug)}/start`;
}
