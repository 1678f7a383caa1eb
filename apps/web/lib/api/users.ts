import type { CreateUserRequest, Page, Role, UpdateUserRequest, UserDto } from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';

export interface UserListFilters {
  role?: Role | '';
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
};
