// Request bodies and queries for /api/api-keys. Unknown fields are rejected by the global pipe;
// rules that span fields (whole numbers for counts, no duplicate limits) live in the service.
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  API_KEY_LIMIT_KINDS,
  API_KEY_LIMIT_WINDOWS,
  API_KEY_MAX_ACCOUNTS,
  API_KEY_MAX_LIMITS,
  API_KEY_MAX_MODELS,
  type ApiKeyLimitInput,
  type ApiKeyLimitKind,
  type ApiKeyLimitWindow,
  type CreateApiKeyRequest,
  type UpdateApiKeyRequest,
} from '@codex-lb/shared';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]*\*?$/;
const MODEL_MESSAGE = 'model names use letters, digits, dot, dash, colon or slash, with an optional trailing *';

export class ApiKeyLimitDtoIn implements ApiKeyLimitInput {
  @IsIn(API_KEY_LIMIT_KINDS, { message: `kind must be one of ${API_KEY_LIMIT_KINDS.join(', ')}` })
  kind: ApiKeyLimitKind;

  @IsIn(API_KEY_LIMIT_WINDOWS, { message: `window must be one of ${API_KEY_LIMIT_WINDOWS.join(', ')}` })
  window: ApiKeyLimitWindow;

  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'max must be a number' })
  @IsPositive({ message: 'max must be greater than 0' })
  @Max(1e12)
  max: number;

  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(128)
  @Matches(MODEL_PATTERN, { message: MODEL_MESSAGE })
  model?: string | null;
}

class ApiKeyFieldsDto {
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expiresAt must be an ISO 8601 date-time, or null for no expiry' })
  expiresAt?: string | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(API_KEY_MAX_MODELS)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  @Matches(MODEL_PATTERN, { each: true, message: MODEL_MESSAGE })
  allowedModels?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(API_KEY_MAX_ACCOUNTS)
  @IsUUID('all', { each: true, message: 'accountIds must be account ids (UUIDs)' })
  accountIds?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(API_KEY_MAX_LIMITS)
  @ValidateNested({ each: true })
  @Type(() => ApiKeyLimitDtoIn)
  limits?: ApiKeyLimitDtoIn[];
}

export class CreateApiKeyDto extends ApiKeyFieldsDto implements CreateApiKeyRequest {
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(100)
  name: string;

  @IsOptional()
  @IsUUID('all', { message: 'ownerId must be a user id (UUID)' })
  ownerId?: string;
}

export class UpdateApiKeyDto extends ApiKeyFieldsDto implements UpdateApiKeyRequest {
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(100)
  name?: string;

  @IsOptional()
  @IsBoolean()
  isActive?: boolean;
}

export class ListApiKeysQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'ownerId must be a user id (UUID)' })
  ownerId?: string;
}
