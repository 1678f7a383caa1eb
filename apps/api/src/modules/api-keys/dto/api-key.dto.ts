// Request bodies and queries for /api/api-keys. Unknown fields are rejected by the global pipe;
// rules that span fields (whole numbers for counts, no duplicate limits) live in the service.
import { Type } from 'class-transformer';
import { ValidateNested } from 'class-validator';
import {
  API_KEY_LIMIT_KINDS,
  API_KEY_LIMIT_WINDOWS,
  API_KEY_MAX_ACCOUNTS,
  API_KEY_MAX_GROUPS,
  API_KEY_MAX_LIMITS,
  API_KEY_MAX_MODELS,
  PERMISSIONS,
  type ApiKeyLimitInput,
  type ApiKeyLimitKind,
  type ApiKeyLimitWindow,
  type CreateApiKeyRequest,
  type UpdateApiKeyRequest,
} from '@codex-lb/shared';
import { Bool, DateTime, List, Nullable, Num, OneOf, Optional, Text, Uuid } from '../../../common/validation';

// Model names fit api_key_limits.model and the usage tables' model columns (varchar(128)).
const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]*\*?$/;
const MODEL_MESSAGE =
  'is not a model name (model names use letters, digits, dot, dash, colon or slash, with an optional trailing *)';
const MODEL = { max: 128, min: 1, pattern: MODEL_PATTERN, patternMessage: MODEL_MESSAGE };

export class ApiKeyLimitDtoIn implements ApiKeyLimitInput {
  @OneOf(API_KEY_LIMIT_KINDS)
  kind: ApiKeyLimitKind;

  @OneOf(API_KEY_LIMIT_WINDOWS)
  window: ApiKeyLimitWindow;

  @Num({ min: 0, minExclusive: true, max: 1e12 })
  max: number;

  /** null or absent: the limit covers every model. */
  @Nullable()
  @Text(MODEL)
  model?: string | null;
}

/** What every key carries: expiry, models, limits and scopes (a service account's keys: only these). */
export class KeyBasicsDto {
  /** null: no expiry. */
  @Nullable()
  @DateTime()
  expiresAt?: string | null;

  @Optional()
  @List({ max: API_KEY_MAX_MODELS })
  @Text({ ...MODEL, each: true })
  allowedModels?: string[];

  @Optional()
  @List({ max: API_KEY_MAX_LIMITS })
  @ValidateNested({ each: true })
  @Type(() => ApiKeyLimitDtoIn)
  limits?: ApiKeyLimitDtoIn[];

  /** `proxy` and management permissions; the service refuses user and role management. */
  @Optional()
  @List({ max: PERMISSIONS.length + 1 })
  @OneOf(['proxy', ...PERMISSIONS], { each: true })
  scopes?: string[];
}

class ApiKeyFieldsDto extends KeyBasicsDto {
  @Optional()
  @List({ max: API_KEY_MAX_ACCOUNTS })
  @Uuid({ each: true, what: 'account ids' })
  accountIds?: string[];

  @Optional()
  @List({ max: API_KEY_MAX_GROUPS })
  @Uuid({ each: true, what: 'group ids' })
  groupIds?: string[];
}

export class CreateApiKeyDto extends ApiKeyFieldsDto implements CreateApiKeyRequest {
  @Text({ max: 100, min: 1 })
  name: string;

  @Optional()
  @Uuid({ what: 'a user id' })
  ownerId?: string;
}

export class UpdateApiKeyDto extends ApiKeyFieldsDto implements UpdateApiKeyRequest {
  @Optional()
  @Text({ max: 100, min: 1 })
  name?: string;

  @Optional()
  @Bool()
  isActive?: boolean;
}

export class ListApiKeysQueryDto {
  @Optional()
  @Uuid({ what: 'a user id' })
  ownerId?: string;
}
