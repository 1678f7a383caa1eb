// Query strings of the usage, request-log and overview routes. Unknown fields are refused by the
// global pipe; range rules that involve two fields (to after from, at most 400 days) are checked
// in time-range.ts so every route answers them the same way.
import {
  REQUEST_LOG_STATUSES,
  USAGE_BUCKETS,
  USAGE_GROUP_BY,
  type RequestLogStatus,
  type UsageBucket,
  type UsageGroupBy,
} from '@codex-lb/shared';
import { DateTime, Int, OneOf, Optional, Text, Uuid } from '../../../common/validation';

export class OwnerFilterQueryDto {
  /** Admins only; ignored for other callers, who always see their own rows. */
  @Optional()
  @Uuid({ what: 'a user id' })
  ownerId?: string;
}

export class RangeQueryDto extends OwnerFilterQueryDto {
  @Optional()
  @DateTime()
  from?: string;

  @Optional()
  @DateTime()
  to?: string;
}

export class GroupRangeQueryDto extends RangeQueryDto {
  /**
   * Requests served by accounts this group owns or that are shared into it. A user may name only
   * a group they belong to (another group is a 404); admins any group.
   */
  @Optional()
  @Uuid({ what: 'a group id' })
  groupId?: string;
}

export class UsageSummaryQueryDto extends GroupRangeQueryDto {}

export class UsageTimeseriesQueryDto extends GroupRangeQueryDto {
  /** Default: hour for ranges up to two days, else day. */
  @Optional()
  @OneOf(USAGE_BUCKETS)
  bucket?: UsageBucket;

  /** Default: model. */
  @Optional()
  @OneOf(USAGE_GROUP_BY)
  groupBy?: UsageGroupBy;
}

// Filter lengths follow the request_logs columns (model 128, route 200, error_code 100).
export class RequestLogFilterQueryDto extends GroupRangeQueryDto {
  @Optional()
  @Uuid({ what: 'a key id' })
  apiKeyId?: string;

  @Optional()
  @Uuid({ what: 'an account id' })
  accountId?: string;

  @Optional()
  @Text({ max: 128 })
  model?: string;

  @Optional()
  @OneOf(REQUEST_LOG_STATUSES)
  status?: RequestLogStatus;

  @Optional()
  @Text({ max: 200 })
  route?: string;

  /** Exactly this end-user label (request_logs.end_user is varchar(128)). */
  @Optional()
  @Text({ max: 128 })
  endUser?: string;

  /** Case-insensitive substring of the error code. */
  @Optional()
  @Text({ max: 100 })
  q?: string;
}

export class RequestLogListQueryDto extends RequestLogFilterQueryDto {
  @Optional()
  @Int({ min: 1, max: 500, query: true })
  limit?: number;

  @Optional()
  @Text({ max: 200, pattern: /^[A-Za-z0-9_-]+$/, patternMessage: 'is not a value returned as nextCursor' })
  cursor?: string;
}
