// Query strings of the usage, request-log and overview routes. Unknown fields are refused by the
// global pipe; range rules that involve two fields (to after from, at most 400 days) are checked
// in time-range.ts so every route answers them the same way.
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  REQUEST_LOG_STATUSES,
  USAGE_BUCKETS,
  USAGE_GROUP_BY,
  type RequestLogStatus,
  type UsageBucket,
  type UsageGroupBy,
} from '@codex-lb/shared';

export class OwnerFilterQueryDto {
  /** Admins only; ignored for other callers, who always see their own rows. */
  @IsOptional()
  @IsUUID('all', { message: 'ownerId must be a user id (UUID)' })
  ownerId?: string;
}

export class RangeQueryDto extends OwnerFilterQueryDto {
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date-time' })
  from?: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date-time' })
  to?: string;
}

export class UsageSummaryQueryDto extends RangeQueryDto {}

export class UsageTimeseriesQueryDto extends RangeQueryDto {
  /** Default: hour for ranges up to two days, else day. */
  @IsOptional()
  @IsIn(USAGE_BUCKETS, { message: 'bucket must be "hour" or "day"' })
  bucket?: UsageBucket;

  /** Default: model. */
  @IsOptional()
  @IsIn(USAGE_GROUP_BY, { message: 'groupBy must be one of model, key, account, owner' })
  groupBy?: UsageGroupBy;
}

export class RequestLogFilterQueryDto extends RangeQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'apiKeyId must be a key id (UUID)' })
  apiKeyId?: string;

  @IsOptional()
  @IsUUID('all', { message: 'accountId must be an account id (UUID)' })
  accountId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  model?: string;

  @IsOptional()
  @IsIn(REQUEST_LOG_STATUSES, { message: 'status must be one of success, error, cancelled' })
  status?: RequestLogStatus;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  route?: string;

  /** Case-insensitive substring of the error code. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}

export class RequestLogListQueryDto extends RequestLogFilterQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer between 1 and 500' })
  @Min(1, { message: 'limit must be an integer between 1 and 500' })
  @Max(500, { message: 'limit must be an integer between 1 and 500' })
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is not a value returned as nextCursor.' })
  cursor?: string;
}
