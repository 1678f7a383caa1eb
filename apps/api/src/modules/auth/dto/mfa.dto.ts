import { Matches } from 'class-validator';
import type { MfaCodeRequest, TotpConfirmRequest, TotpSetupRequest } from '@codex-lb/shared';
import { Optional, Text } from '../../../common/validation';
import { PASSWORD_RULES } from './auth.dto';

const CODE_RULE = /^\d{6}$/;
const CODE_MESSAGE = 'code must be the 6 digits your authenticator app shows.';

export class TotpSetupDto implements TotpSetupRequest {
  @Optional()
  @Text({ ...PASSWORD_RULES, min: 1 })
  password?: string;
}

export class TotpConfirmDto implements TotpConfirmRequest {
  @Text({ max: 16 })
  @Matches(CODE_RULE, { message: CODE_MESSAGE })
  code: string;
}

/** One of a TOTP code or a recovery code (the service refuses both or neither). */
export class MfaCodeDto implements MfaCodeRequest {
  @Optional()
  @Text({ max: 16 })
  @Matches(CODE_RULE, { message: CODE_MESSAGE })
  code?: string;

  @Optional()
  @Text({ min: 1, max: 32 })
  recoveryCode?: string;
}
