// Endpoint functions for groups: the group itself, its members and the preview of what removing
// a member would cost.
import type {
  CreateGroupRequest,
  GroupDto,
  GroupMemberDto,
  GroupRole,
  ImpactDto,
  UpdateGroupRequest,
} from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';

export interface ListPage<T> {
  items: T[];
  nextCursor?: string | null;
}

const path = (id: string) => `/groups/${encodeURIComponent(id)}`;
const memberPath = (id: string, principalId: string) => `${path(id)}/members/${encodeURIComponent(principalId)}`;

export const groupsApi = {
  list: () => apiRequest<ListPage<GroupDto>>('/groups'),
  get: (id: string) => apiRequest<GroupDto>(path(id)),
  create: (body: CreateGroupRequest) => apiRequest<GroupDto>('/groups', { method: 'POST', body }),
  update: (id: string, body: UpdateGroupRequest) => apiRequest<GroupDto>(path(id), { method: 'PATCH', body }),
  remove: (id: string) => apiRequest<void>(path(id), { method: 'DELETE' }),
  members: (id: string) => apiRequest<ListPage<GroupMemberDto>>(`${path(id)}/members`),
  /** Adds the principal, or changes their role when they are a member already. */
  setMember: (id: string, principalId: string, role: GroupRole) =>
    apiRequest<GroupMemberDto>(memberPath(id, principalId), { method: 'PUT', body: { role } }),
  removeMember: (id: string, principalId: string) =>
    apiRequest<void>(memberPath(id, principalId), { method: 'DELETE' }),
  impact: (id: string, removeMember: string) =>
    apiRequest<ImpactDto>(`${path(id)}/impact`, { query: { removeMember } }),
};
