// Who may read which usage: the scope of a request-log or usage read (the caller's own requests,
// plus what their groups' accounts served and their groups' keys made), and the groupId filter's
// rule (a user filters only by a group they belong to, any role; another group is a 404, as
// everywhere; admins any group). Both read the in-memory group index, never request input.
import { ApiError } from '../../common/api-error';
import type { OwnerScope } from '../../common/owner-scope';
import type { Principal } from '../../common/principal';
import type { GroupIndex } from '../groups/group-index';
import { groupScopeFor } from '../groups/group-scope';

export function usageScopeFor(principal: Principal, groups: GroupIndex, requestedOwnerId?: string): OwnerScope {
  return groupScopeFor(principal, groups, requestedOwnerId);
}

export function requireReadableGroup(principal: Principal, groups: GroupIndex, groupId: string | undefined): void {
  if (!groupId || principal.permissions.has('owners:all')) return;
  if (groups.groupsOf(principal.userId).get(groupId) === undefined) throw ApiError.notFound('Group');
}
