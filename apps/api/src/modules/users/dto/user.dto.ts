// Request bodies and queries for /api/users. Lengths follow the dashboard_users columns.
import {
  PASSWORD_MIN_LENGTH,
  ROLES,
  USERNAME_PATTERN,
  type CreateUserRequest,
  type Role,
  type UpdateUserRequest,
} from '@codex-lb/shared';
import { Bool, Int, OneOf, Optional, Text } from '../../../common/validation';
import { PASSWORD_RULES } from '../../auth/dto/auth.dto';

const USERNAME_MESSAGE =
  'must be 2-64 characters: letters, digits, dot, dash or underscore, starting with a letter or digit';

export class CreateUserDto implements CreateUserRequest {
  @Text({ max: 64, pattern: USERNAME_PATTERN, patternMessage: USERNAME_MESSAGE })
  username: string;

  @Text({ ...PASSWORD_RULES, min: PASSWORD_MIN_LENGTH })
  password: string;

  @OneOf(ROLES)
  role: Role;
}

export class UpdateUserDto implements UpdateUserRequest {
  @Optional()
  @OneOf(ROLES)
  role?: Role;

  @Optional()
  @Bool()
  isActive?: boolean;

  @Optional()
  @Text({ ...PASSWORD_RULES, min: PASSWORD_MIN_LENGTH })
  password?: string;
}

export class ListUsersQueryDto {
  @Optional()
  @OneOf(ROLES)
  role?: Role;

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
