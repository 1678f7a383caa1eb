// Request bodies and queries for /api/roles. A slug is the role's name in the API (immutable once
// created); permission lists are bounded by the vocabulary and checked for repeats in the service.
import {
  PERMISSIONS,
  ROLE_MAX_PERMISSIONS,
  ROLE_NAME_MAX_LENGTH,
  ROLE_SLUG_PATTERN,
  type CreateRoleRequest,
  type Permission,
  type UpdateRoleRequest,
} from '@codex-lb/shared';
import { Int, List, OneOf, Optional, Text } from '../../../common/validation';

export const ROLE_SLUG_MESSAGE =
  'must be 2-32 characters: lowercase letters, digits or dashes, not starting with a dash';

export class CreateRoleDto implements CreateRoleRequest {
  @Text({ max: 32, min: 2, pattern: ROLE_SLUG_PATTERN, patternMessage: ROLE_SLUG_MESSAGE })
  slug: string;

  @Text({ max: ROLE_NAME_MAX_LENGTH, min: 1 })
  name: string;

  @List({ max: ROLE_MAX_PERMISSIONS })
  @OneOf(PERMISSIONS, { each: true })
  permissions: Permission[];
}

export class UpdateRoleDto implements UpdateRoleRequest {
  @Optional()
  @Text({ max: ROLE_NAME_MAX_LENGTH, min: 1 })
  name?: string;

  @Optional()
  @List({ max: ROLE_MAX_PERMISSIONS })
  @OneOf(PERMISSIONS, { each: true })
  permissions?: Permission[];
}

export class HoldersQueryDto {
  @Optional()
  @Int({ min: 1, max: 200, query: true })
  limit?: number;

  @Optional()
  @Int({ min: 0, max: 1_000_000, query: true })
  offset?: number;
}
