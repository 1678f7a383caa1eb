// Request bodies and queries for /api/service-accounts. Names follow the username rules (they
// live in dashboard_users.username); a key takes the fields every key has (KeyBasicsDto).
import {
  SERVICE_ACCOUNT_NAME_PATTERN,
  type CreateServiceAccountKeyRequest,
  type CreateServiceAccountRequest,
  type UpdateServiceAccountRequest,
} from '@codex-lb/shared';
import { Bool, Nullable, Optional, Text, Uuid } from '../../../common/validation';
import { KeyBasicsDto } from '../../api-keys/dto/api-key.dto';

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

export class CreateServiceAccountKeyDto extends KeyBasicsDto implements CreateServiceAccountKeyRequest {
  @Text({ max: 100, min: 1 })
  name: string;
}
