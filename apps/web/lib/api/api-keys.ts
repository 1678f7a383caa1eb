import { apiRequest } from '@/lib/api-client';
import type {
  ApiKeyDto,
  ApiKeySecretResponse,
  CreateApiKeyRequest,
  EffectiveAccountsResponse,
  UpdateApiKeyRequest,
} from '@codex-lb/shared';

const path = (id: string) => `/api-keys/${encodeURIComponent(id)}`;

export const apiKeysApi = {
  list: (ownerId?: string) => apiRequest<ApiKeyDto[]>('/api-keys', { query: { ownerId } }),
  get: (id: string) => apiRequest<ApiKeyDto>(path(id)),
  create: (body: CreateApiKeyRequest) => apiRequest<ApiKeySecretResponse>('/api-keys', { method: 'POST', body }),
  update: (id: string, body: UpdateApiKeyRequest) => apiRequest<ApiKeyDto>(path(id), { method: 'PATCH', body }),
  /** Revoking is a delete: the API keeps the row for logs and marks it revoked. */
  revoke: (id: string) => apiRequest<void>(path(id), { method: 'DELETE' }),
  regenerate: (id: string) => apiRequest<ApiKeySecretResponse>(`${path(id)}/regenerate`, { method: 'POST' }),
  /** Account by account: whether the key may use it, through what, and why not. */
  effectiveAccounts: (id: string) => apiRequest<EffectiveAccountsResponse>(`${path(id)}/effective-accounts`),
};
