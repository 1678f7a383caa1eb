// Request bodies and queries for /api/groups. Unknown fields are rejected by the global pipe.
import {
  GROUP_ROLES,
  GROUP_SLUG_PATTERN,
  type CreateGroupRequest,
  type GroupRole,
  type PutGroupMemberRequest,
  type UpdateGroupRequest,
} from '@codex-lb/shared';
import { OneOf, Optional, Text, Uuid } from '../../../common/validation';

const SLUG = {
  max: 64,
  min: 1,
  pattern: GROUP_SLUG_PATTERN,
  patternMessage: 'must be lowercase letters, digits and inner dashes',
};

export class CreateGroupDto implements CreateGroupRequest {
  @Text(SLUG)
  slug: string;

  @Text({ max: 100, min: 1 })
  name: string;
}

export class UpdateGroupDto implements UpdateGroupRequest {
  @Optional()
  @Text(SLUG)
  slug?: string;

  @Optional()
  @Text({ max: 100, min: 1 })
  name?: string;
}

export class PutGroupMemberDto implements PutGroupMemberRequest {
  @OneOf(GROUP_ROLES)
  role: GroupRole;
}

export class ImpactQueryDto {
  @Uuid({ what: 'a principal id' })
  removeMember: string;
}
