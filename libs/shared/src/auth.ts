import type { Permission, Role } from './permissions';

export interface LoginRequest {
  username: string;
  password: string;
}

export interface ChangePasswordRequest {
  currentPassword: string;
  newPassword: string;
}

export interface SessionUser {
  id: string;
  username: string;
  role: Role;
}

export interface AuthenticatedSession {
  authenticated: true;
  user: SessionUser;
  permissions: Permission[];
  mustChangePassword: boolean;
}

export type SessionResponse = AuthenticatedSession | { authenticated: false };

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
export const USERNAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,63}$/;
