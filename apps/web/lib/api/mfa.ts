// Self-service two-factor sign-in (TOTP). Secrets and recovery codes are shown once and never
// kept by the dashboard.
import type { RecoveryCodesResponse, SessionMfa, TotpSetupResponse } from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';

export type { TotpSetupResponse };

export const mfaApi = {
  /** Without a password (someone who signs in only through an identity provider): a recent sign-in is the proof. */
  setup: (password?: string) =>
    apiRequest<TotpSetupResponse>('/me/mfa/totp/setup', {
      method: 'POST',
      body: password === undefined ? {} : { password },
    }),
  confirm: (code: string) =>
    apiRequest<RecoveryCodesResponse>('/me/mfa/totp/confirm', { method: 'POST', body: { code } }),
  disable: (code: string) => apiRequest<void>('/me/mfa/totp', { method: 'DELETE', body: { code } }),
  regenerateRecoveryCodes: (code?: string) =>
    apiRequest<RecoveryCodesResponse>('/me/mfa/recovery-codes', { method: 'POST', body: code ? { code } : {} }),
};

/** A TOTP code as typed: six digits, spaces allowed in between. */
export function normaliseTotp(input: string): string | null {
  const digits = input.replace(/\s+/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}

/** A recovery code as typed: letters, digits and dashes, case kept for the API to compare. */
export function normaliseRecoveryCode(input: string): string | null {
  const code = input.trim().replace(/\s+/g, '');
  return /^[A-Za-z0-9-]{6,64}$/.test(code) ? code : null;
}

/** The session's MFA state, when the API sends one. */
export function mfaOf(session: { mfa?: SessionMfa }): SessionMfa | undefined {
  return session.mfa;
}

/** Enrolment is due and nothing else may be reached until it is done. */
export function mustEnrolMfa(session: { mfa?: SessionMfa }): boolean {
  return Boolean(session.mfa?.required && !session.mfa.enrolled);
}
