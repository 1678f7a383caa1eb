import type { GroupDto, GroupMemberDto } from '@codex-lb/shared';
import type { GroupMemberRow, GroupRow } from './groups.repository';

export function toGroupDto(row: GroupRow): GroupDto {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    myRole: row.myRole,
    memberCount: row.memberCount,
    ownedAccountCount: row.ownedAccountCount,
    sharedAccountCount: row.sharedAccountCount,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function toGroupMemberDto(row: GroupMemberRow): GroupMemberDto {
  return {
    groupId: row.groupId,
    principalId: row.principalId,
    username: row.username,
    kind: row.kind,
    role: row.role,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}
