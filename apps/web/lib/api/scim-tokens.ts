// Endpoint functions for SCIM tokens: what a company directory provisions users and groups with.
import type { CreatedScimTokenDto, CreateScimTokenRequest, ScimTokenDto } from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';

export const scimTokensApi = {
  list: () => apiRequest<{ items: ScimTokenDto[] }>('/scim-tokens'),
  /** The answer carries the token, the only time it is ever shown. */
  create: (body: CreateScimTokenRequest) => apiRequest<CreatedScimTokenDto>('/scim-tokens', { method: 'POST', body }),
  revoke: (id: string) => apiRequest<void>(`/scim-tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};
