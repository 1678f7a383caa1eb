// Request bodies and queries for /api/service-accounts. Names follow the username rules (they
// live in dashboard_users.username); key fields follow the API-key DTO's.
import { Type } from 'class-transformer';
import { ValidateNested } from 'class-validator';
import {
  API_KEY_MAX_LIMITS,
  API_KEY_MAX_MODELS,
  PERMISSIONS,
  SERVICE_ACCOUNT_NAME_PATTERN,
  type CreateServiceAccountKeyRequest,
  type CreateServiceAccountRequest,
  type UpdateServiceAccountRequest,
} from '@codex-lb/shared';
import { Bool, DateTime, List, Nullable, OneOf, Optional, Text, Uuid } from '../../../common/validation';
import { ApiKeyLimitDtoIn } from '../../api-keys/dto/api-key.dto';

const NAME = {
  max: 64,
  pattern: SERVICE_ACCOUNT_NAME_PATTERN,
  patternMessage: 'must be 2-64 characters: letters, digits, dot, dash or underscore, starting with a letter or digit',
};

export class CreateServiceAccountDto implements CreateServiceAccountRequest {
  @Text(NAME)
  name: string;

  /** null or absent: an admins' service account. */
  @Nullable()
  @Uuid({ what: 'a group id' })
  groupId?: string | null;
}

export class UpdateServiceAccountDto implements UpdateServiceAccountRequest {
  @Optional()
  @Text(NAME)
  name?: string;

  @Optional()
  @Bool()
  isActive?: boolean;
}

export class ListServiceAccountsQueryDto {
  @Optional()
  @Uuid({ what: 'a group id' })
  groupId?: string;
}

// Model names as the API-key DTO checks them.
const MODEL = {
  max: 128,
  min: 1,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._:/-]*\*?$/,
  patternMessage:
    'is not a model name (model names use letters, digits, dot, dash, colon or slash, with an optional trailing *)',
};

export class CreateServiceAccountKeyDto implements CreateServiceAccountKeyRequest {
  @Text({ max: 100, min: 1 })
  name: string;

  @Optional()
  @List({ max: PERMISSIONS.length + 1 })
  @OneOf(['proxy', ...PERMISSIONS], { each: true })
  scopes?: string[];

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
}
