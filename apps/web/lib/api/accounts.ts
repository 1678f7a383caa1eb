import type {
  AccountDto,
  MoveAccountOwnerRequest,
  OAuthFlowKind,
  OAuthStatusResponse,
  StartOAuthResponse,
} from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';

/** PATCH /api/accounts/:id body (the API's UpdateAccountDto): null clears the display name. */
export interface UpdateAccountRequest {
  alias: string | null;
}

const path = (id: string) => `/accounts/${encodeURIComponent(id)}`;
const sharePath = (id: string, groupId: string) => `${path(id)}/shares/${encodeURIComponent(groupId)}`;

export const accountsApi = {
  list: (ownerId?: string) => apiRequest<AccountDto[]>('/accounts', { query: { ownerId } }),
  get: (id: string) => apiRequest<AccountDto>(path(id)),
  update: (id: string, body: UpdateAccountRequest) => apiRequest<AccountDto>(path(id), { method: 'PATCH', body }),
  remove: (id: string) => apiRequest<void>(path(id), { method: 'DELETE' }),
  pause: (id: string) => apiRequest<AccountDto>(`${path(id)}/pause`, { method: 'POST' }),
  resume: (id: string) => apiRequest<AccountDto>(`${path(id)}/resume`, { method: 'POST' }),
  refreshUsage: (id: string) => apiRequest<AccountDto>(`${path(id)}/refresh-usage`, { method: 'POST' }),
  reassignOwner: (id: string, ownerId: string) =>
    apiRequest<AccountDto>(`${path(id)}/owner`, { method: 'PATCH', body: { userId: ownerId } }),
  moveOwner: (id: string, body: MoveAccountOwnerRequest) =>
    apiRequest<AccountDto>(`${path(id)}/owner`, { method: 'PATCH', body }),
  /** Lets the group's members route through the account; the caller keeps owning it. */
  share: (id: string, groupId: string) => apiRequest<unknown>(sharePath(id, groupId), { method: 'PUT' }),
  withdraw: (id: string, groupId: string) => apiRequest<void>(sharePath(id, groupId), { method: 'DELETE' }),
  importAuthJson: (file: File) => {
    const form = new FormData();
    form.append('auth_json', file, file.name);
    return apiRequest<AccountDto>('/accounts/import', { method: 'POST', body: form });
  },
};

export const oauthApi = {
  start: (flow: OAuthFlowKind) => apiRequest<StartOAuthResponse>('/oauth/start', { method: 'POST', body: { flow } }),
  status: (flowId: string) => apiRequest<OAuthStatusResponse>(`/oauth/status/${encodeURIComponent(flowId)}`),
  manualCallback: (flowId: string, callbackUrl: string) =>
    apiRequest<OAuthStatusResponse>('/oauth/manual-callback', { method: 'POST', body: { flowId, callbackUrl } }),
};
