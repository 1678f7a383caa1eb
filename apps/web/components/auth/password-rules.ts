import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@codex-lb/shared';

export interface PasswordChangeInput {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}

export type PasswordChangeErrors = Partial<Record<keyof PasswordChangeInput, string>>;

/** A new password's own rule, shared by the change form and the admin "reset password" form. */
export function newPasswordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  return undefined;
}

/** Checked before anything is sent, so the common mistakes never cost a round trip. */
export function validatePasswordChange(input: PasswordChangeInput): PasswordChangeErrors {
  const errors: PasswordChangeErrors = {};
  if (!input.currentPassword) errors.currentPassword = 'Enter your current password.';
  const problem = newPasswordProblem(input.newPassword);
  if (problem) errors.newPassword = problem;
  else if (input.newPassword === input.currentPassword)
    errors.newPassword = 'Choose a password different from the current one.';
  if (!errors.newPassword && input.confirmPassword !== input.newPassword)
    errors.confirmPassword = 'The two new passwords do not match.';
  return errors;
}
