import type { Permission, RoleSlug } from './permissions';

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
  /** The role's slug: a preset (admin, operator, viewer, user) or a custom role. */
  role: RoleSlug;
}

/** Two-factor state of a session: set up or not, and whether CODEX_LB_MFA_REQUIRED asks for it. */
export interface SessionMfa {
  enrolled: boolean;
  required: boolean;
}

export interface AuthenticatedSession {
  authenticated: true;
  user: SessionUser;
  permissions: Permission[];
  mustChangePassword: boolean;
  /**
   * When `required && !enrolled`, every route but enrolment, session, sign-out and password
   * change answers 403 `mfa_enrolment_required`.
   */
  mfa?: SessionMfa;
  /**
   * False for someone without a dashboard password (created by the directory over SCIM or at a
   * first sign-in with an identity provider): there is no password to change or to confirm 2FA
   * enrolment with.
   */
  hasPassword?: boolean;
}

export type SessionResponse = AuthenticatedSession | { authenticated: false };

/**
 * A correct password for a user with two-factor sign-in: no session yet, only a short-lived
 * pending cookie; POST /api/dashboard-auth/mfa/verify with a code completes the sign-in.
 */
export interface MfaPendingLogin {
  authenticated: false;
  mfaRequired: true;
}

export type LoginResponse = AuthenticatedSession | MfaPendingLogin;

/** One of the two: a 6-digit code from the authenticator app, or an unused recovery code. */
export interface MfaCodeRequest {
  code?: string;
  recoveryCode?: string;
}

export interface TotpSetupRequest {
  /**
   * The current password. Someone without one (they sign in only through an identity provider)
   * leaves it out, and needs a sign-in less than 10 minutes old instead.
   */
  password?: string;
}

/** The secret in base32 (to type in) and as an otpauth:// URL (to show as a QR code). */
export interface TotpSetupResponse {
  secret: string;
  otpauthUrl: string;
}

export interface TotpConfirmRequest {
  code: string;
}

/** Shown once: only their HMACs are kept. */
export interface RecoveryCodesResponse {
  recoveryCodes: string[];
}

export interface MfaStatus {
  enrolled: boolean;
  enrolledAt: string | null;
  required: boolean;
  recoveryCodesRemaining: number;
}

export type MfaPolicy = 'off' | 'admins' | 'everyone';

/** The two permissions that make a role "admin-level" for CODEX_LB_MFA_REQUIRED=admins. */
export const MFA_ADMIN_PERMISSIONS: readonly Permission[] = ['users:manage', 'roles:manage'];

export function mfaRequiredFor(policy: MfaPolicy, permissions: Iterable<Permission>): boolean {
  if (policy === 'everyone') return true;
  if (policy === 'off') return false;
  for (const permission of permissions) if (MFA_ADMIN_PERMISSIONS.includes(permission)) return true;
  return false;
}

export const RECOVERY_CODE_COUNT = 10;
export const TOTP_CODE_PATTERN = /^\d{6}$/;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
/** bcrypt reads 72 bytes; longer passwords are refused rather than cut. */
export const PASSWORD_MAX_BYTES = 72;
export const USERNAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,63}$/;
