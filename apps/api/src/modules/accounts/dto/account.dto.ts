// Request bodies and queries for /api/accounts and the OAuth sign-in flows. Lengths follow the
// columns in the accounts migration; the rules themselves live in common/validation.ts.
import type { MoveAccountOwnerRequest } from '@codex-lb/shared';
import { Nullable, OneOf, Optional, Text, Uuid } from '../../../common/validation';

export class OwnerQueryDto {
  @Optional()
  @Uuid({ what: 'a user id' })
  ownerId?: string;
}

export class UpdateAccountDto {
  /** null (or an empty string) clears the alias. */
  @Nullable()
  @Text({ max: 100 })
  alias: string | null;
}

/** Exactly one of userId / groupId (ownerId: the older name of userId). */
export class ReassignOwnerDto implements MoveAccountOwnerRequest {
  @Optional()
  @Uuid({ what: 'a user id' })
  userId?: string;

  @Optional()
  @Uuid({ what: 'a group id' })
  groupId?: string;

  @Optional()
  @Uuid({ what: 'a user id' })
  ownerId?: string;
}

export class StartOAuthDto {
  @OneOf(['browser', 'device'])
  flow: 'browser' | 'device';

  @Optional()
  @Uuid({ what: 'a user id' })
  ownerId?: string;
}

const CALLBACK_URL = /^https?:\/\/[^\s]+$/i;

export class ManualCallbackDto {
  @Uuid({ what: 'a flow id' })
  flowId: string;

  @Text({ max: 8192, min: 1, pattern: CALLBACK_URL, patternMessage: 'must be the full URL from the browser' })
  callbackUrl: string;
}
