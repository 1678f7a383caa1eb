// Request bodies and queries for /api/users. Lengths follow the dashboard_users columns. A role is
// any role's slug (preset or custom): its shape is checked here, its existence by the service (400
// unknown_role).
import {
  PASSWORD_MIN_LENGTH,
  ROLE_SLUG_PATTERN,
  USERNAME_PATTERN,
  type CreateUserRequest,
  type RoleSlug,
  type UpdateUserRequest,
} from '@codex-lb/shared';
import { Bool, Int, Optional, Text } from '../../../common/validation';
import { PASSWORD_RULES } from '../../auth/dto/auth.dto';
import { ROLE_SLUG_MESSAGE } from '../../roles/dto/role.dto';

const ROLE_RULES = { max: 32, min: 2, pattern: ROLE_SLUG_PATTERN, patternMessage: ROLE_SLUG_MESSAGE };

const USERNAME_MESSAGE =
  'must be 2-64 characters: letters, digits, dot, dash or underscore, starting with a letter or digit';

export class CreateUserDto implements CreateUserRequest {
  @Text({ max: 64, pattern: USERNAME_PATTERN, patternMessage: USERNAME_MESSAGE })
  username: string;

  @Text({ ...PASSWORD_RULES, min: PASSWORD_MIN_LENGTH })
  password: string;

  @Text(ROLE_RULES)
  role: RoleSlug;
}

export class UpdateUserDto implements UpdateUserRequest {
  @Optional()
  @Text(ROLE_RULES)
  role?: RoleSlug;

  @Optional()
  @Bool()
  isActive?: boolean;

  @Optional()
  @Text({ ...PASSWORD_RULES, min: PASSWORD_MIN_LENGTH })
  password?: string;
}

export class ListUsersQueryDto {
  @Optional()
  @Text(ROLE_RULES)
  role?: RoleSlug;

  @Optional()
  @Bool({ query: true })
  active?: boolean;

  @Optional()
  @Int({ min: 1, max: 200, query: true })
  limit?: number;

  /** Beyond any real user count, and far inside Postgres's bigint. */
  @Optional()
  @Int({ min: 0, max: 1_000_000, query: true })
  offset?: number;
}
