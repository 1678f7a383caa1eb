import type { CreateUserRequest, Page, UpdateUserRequest, UserDto } from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';

export interface UserListFilters {
  /** A role slug (preset or custom), or '' for any. */
  role?: string;
  active?: 'true' | 'false' | '';
  limit?: number;
  offset?: number;
}

export const usersApi = {
  list: (filters: UserListFilters = {}) => apiRequest<Page<UserDto>>('/users', { query: { ...filters } }),
  get: (id: string) => apiRequest<UserDto>(`/users/${encodeURIComponent(id)}`),
  create: (body: CreateUserRequest) => apiRequest<UserDto>('/users', { method: 'POST', body }),
  update: (id: string, body: UpdateUserRequest) =>
    apiRequest<UserDto>(`/users/${encodeURIComponent(id)}`, { method: 'PATCH', body }),
  remove: (id: string) => apiRequest<void>(`/users/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  /** Removes their second factor and ends their sessions (never your own). */
  resetMfa: (id: string) => apiRequest<void>(`/users/${encodeURIComponent(id)}/mfa`, { method: 'DELETE' }),
};
