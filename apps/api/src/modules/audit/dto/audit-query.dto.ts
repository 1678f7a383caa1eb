// Query strings of the audit routes: every filter optional and bounded; unknown fields are refused
// by the global pipe, and `to` must come after `from` (checked in the service).
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, type AuditAction, type AuditOutcome } from '@codex-lb/shared';
import { DateTime, Int, OneOf, Optional, Text, Uuid } from '../../../common/validation';

export class AuditFilterQueryDto {
  @Optional()
  @Uuid({ what: 'a principal id' })
  actorId?: string;

  @Optional()
  @OneOf(AUDIT_ACTIONS)
  action?: AuditAction;

  @Optional()
  @Text({ max: 64, pattern: /^[a-z_-]+$/, patternMessage: 'must be a target type such as key or account' })
  targetType?: string;

  @Optional()
  @Text({ max: 200 })
  targetId?: string;

  @Optional()
  @OneOf(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @Optional()
  @DateTime()
  from?: string;

  @Optional()
  @DateTime()
  to?: string;
}

export class AuditListQueryDto extends AuditFilterQueryDto {
  @Optional()
  @Int({ min: 1, max: 200, query: true })
  limit?: number;

  @Optional()
  @Text({ max: 19, pattern: /^[1-9][0-9]{0,18}$/, patternMessage: 'is not a value returned as nextCursor' })
  cursor?: string;
}
