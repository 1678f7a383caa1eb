// Builds the owner scope of a dashboard principal with their groups, from the in-memory index:
// groupIds (any group role) widen what they may read, ownedGroupIds (group owner) what they may
// change. Never built from request input; an admin's scope stays "all".
import { ownerScopeFor, type OwnerScope } from '../../common/owner-scope';
import type { Principal } from '../../common/principal';
import type { GroupIndex } from './group-index';

export function groupScopeFor(principal: Principal, index: GroupIndex, requestedOwnerId?: string): OwnerScope {
  const base = ownerScopeFor(principal, requestedOwnerId);
  if (!('userId' in base)) return base;
  const groupIds: string[] = [];
  const ownedGroupIds: string[] = [];
  for (const [groupId, role] of index.groupsOf(base.userId)) {
    groupIds.push(groupId);
    if (role === 'owner') ownedGroupIds.push(groupId);
  }
  return { userId: base.userId, groupIds, ownedGroupIds };
}

/** The group ids a scope may read through (all = undefined: every group). */
export function readableGroupIds(scope: OwnerScope): readonly string[] | undefined {
  return 'userId' in scope ? (scope.groupIds ?? []) : undefined;
}
