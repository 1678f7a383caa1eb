// Endpoint functions for service accounts: principals with no password that belong to one group
// and hold API keys drawing on its pool. Types live here until libs/shared carries them.
import type { ApiKeySecretResponse, ApiKeyDto } from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';
import type { ListPage } from './groups';

export interface ServiceAccountDto {
  id: string;
  name: string;
  /** Null: it belongs to the admins. */
  groupId: string | null;
  groupName?: string | null;
  isActive?: boolean;
  disabledAt?: string | null;
  createdAt?: string;
}

export interface CreateServiceAccountRequest {
  name: string;
  groupId: string;
}

export interface CreateServiceAccountKeyRequest {
  name: string;
}

const path = (id: string) => `/service-accounts/${encodeURIComponent(id)}`;

export const serviceAccountsApi = {
  list: () => apiRequest<ListPage<ServiceAccountDto>>('/service-accounts'),
  get: (id: string) => apiRequest<ServiceAccountDto>(path(id)),
  create: (body: CreateServiceAccountRequest) =>
    apiRequest<ServiceAccountDto>('/service-accounts', { method: 'POST', body }),
  update: (id: string, body: Partial<CreateServiceAccountRequest>) =>
    apiRequest<ServiceAccountDto>(path(id), { method: 'PATCH', body }),
  remove: (id: string) => apiRequest<void>(path(id), { method: 'DELETE' }),
  disable: (id: string) => apiRequest<ServiceAccountDto>(`${path(id)}/disable`, { method: 'POST' }),
  keys: (id: string) => apiRequest<ListPage<ApiKeyDto>>(`${path(id)}/keys`),
  /** The answer carries the secret, the only time it is ever shown. */
  createKey: (id: string, body: CreateServiceAccountKeyRequest) =>
    apiRequest<ApiKeySecretResponse>(`${path(id)}/keys`, { method: 'POST', body }),
};
