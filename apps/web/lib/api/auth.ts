import type {
  AuthenticatedSession,
  ChangePasswordRequest,
  LoginRequest,
  LoginResponse,
  MfaCodeRequest,
  MfaPendingLogin,
  SessionResponse,
} from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';

/** A correct password with a second factor due: no session yet, a pending cookie instead. */
export function needsSecondFactor(response: LoginResponse): response is MfaPendingLogin {
  return (response as MfaPendingLogin).mfaRequired === true;
}

export const authApi = {
  session: () => apiRequest<SessionResponse>('/dashboard-auth/session'),
  login: (body: LoginRequest) => apiRequest<LoginResponse>('/dashboard-auth/password/login', { method: 'POST', body }),
  verifyMfa: (body: MfaCodeRequest) =>
    apiRequest<AuthenticatedSession>('/dashboard-auth/mfa/verify', { method: 'POST', body }),
  logout: () => apiRequest<void>('/dashboard-auth/logout', { method: 'POST' }),
  changePassword: (body: ChangePasswordRequest) =>
    apiRequest<unknown>('/dashboard-auth/password/change', { method: 'POST', body }),
};
