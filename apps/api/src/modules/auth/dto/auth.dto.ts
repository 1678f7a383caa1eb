import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, type ChangePasswordRequest } from '@codex-lb/shared';
import { MaxPasswordBytes } from '../../../common/passwords';
import { Text } from '../../../common/validation';

/** Passwords are taken as typed: never trimmed, any character but NUL and unpaired surrogates. */
export const PASSWORD_RULES = { max: PASSWORD_MAX_LENGTH, trim: false, allowControl: true } as const;

export class ChangePasswordDto implements ChangePasswordRequest {
  @Text({ ...PASSWORD_RULES, min: 1 })
  currentPassword: string;

  /** bcrypt reads 72 bytes: a longer new password is refused, not cut. */
  @Text({ ...PASSWORD_RULES, min: PASSWORD_MIN_LENGTH })
  @MaxPasswordBytes()
  newPassword: string;
}
