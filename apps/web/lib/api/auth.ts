import type { AuthenticatedSession, ChangePasswordRequest, LoginRequest, SessionResponse } from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';

export const authApi = {
  session: () => apiRequest<SessionResponse>('/dashboard-auth/session'),
  login: (body: LoginRequest) =>
    apiRequest<AuthenticatedSession>('/dashboard-auth/password/login', { method: 'POST', body }),
  logout: () => apiRequest<void>('/dashboard-auth/logout', { method: 'POST' }),
  changePassword: (body: ChangePasswordRequest) =>
    apiRequest<unknown>('/dashboard-auth/password/change', { method: 'POST', body }),
};
