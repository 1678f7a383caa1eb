// Ownership is a required argument of every repository method that touches owned rows. The scope
// is built here from the principal alone, never from request input, except that an admin may
// narrow "all" to one owner.
import type { Principal } from './principal';

export type OwnerScope =
  | {
      readonly userId: string;
      /** Groups the user belongs to (any group role): what they may read through groups. */
      readonly groupIds?: readonly string[];
      /** Groups the user owns: group-owned rows they may change. */
      readonly ownedGroupIds?: readonly string[];
    }
  | { readonly all: true; readonly ownerId?: string };

export function ownerScopeFor(principal: Principal, requestedOwnerId?: string): OwnerScope {
  if (principal.permissions.has('owners:all')) {
    return requestedOwnerId ? { all: true, ownerId: requestedOwnerId } : { all: true };
  }
  return { userId: principal.userId };
}

/** The owner id a scope pins rows to, or undefined when an admin sees every owner. */
export function scopedOwnerId(scope: OwnerScope): string | undefined {
  return 'userId' in scope ? scope.userId : scope.ownerId;
}

/**
 * Appends the owner condition to a SQL WHERE clause. `column` is trusted code, never input.
 * Returns the clause fragment ('' when unrestricted) and pushes its parameter.
 */
export function ownerCondition(scope: OwnerScope, column: string, params: unknown[]): string {
  const ownerId = scopedOwnerId(scope);
  if (ownerId === undefined) return '';
  params.push(ownerId);
  return ` AND ${column} = $${params.length}`;
}

/**
 * The owner a new row gets: the caller, or for an admin an explicitly named owner.
 */
export function ownerForCreate(principal: Principal, requestedOwnerId?: string): string {
  if (requestedOwnerId && principal.permissions.has('owners:all')) return requestedOwnerId;
  return principal.userId;
}

/**
 * SQL: the accounts the groups in `groups` (a trusted uuid[] expression) own or have shared into
 * them. The same set the router's effective pool draws on for those groups.
 */
export function groupAccountsSql(groups: string): string {
  return `SELECT ga.id FROM accounts ga WHERE ga.owner_group_id = ANY(${groups})
          UNION SELECT gs.account_id FROM account_shares gs WHERE gs.group_id = ANY(${groups})`;
}

/**
 * SQL: the keys of the groups in `groups` (a trusted uuid[] expression): keys attached to one of
 * them, and keys of their service accounts.
 */
export function groupKeysSql(groups: string): string {
  return `SELECT gk.api_key_id FROM api_key_groups gk WHERE gk.group_id = ANY(${groups})
          UNION SELECT sk.id FROM api_keys sk JOIN dashboard_users su ON su.id = sk.owner_user_id
                 WHERE su.kind = 'service' AND su.service_group_id = ANY(${groups})`;
}

/**
 * The read condition on usage rows (request logs, rollups) for a WHERE clause: the caller's own
 * rows, plus, for each group they belong to (any group role), the requests served by the group's
 * accounts and the requests made with the group's keys. A user in no group gets exactly
 * ownerCondition; an admin's scope is ownerCondition too (every owner, or the one named).
 * Column names are trusted code, never input.
 */
export function usageReadCondition(
  scope: OwnerScope,
  columns: { owner: string; account: string; apiKey: string },
  params: unknown[],
): string {
  if (!('userId' in scope) || !scope.groupIds?.length) return ownerCondition(scope, columns.owner, params);
  params.push(scope.userId);
  const user = `$${params.length}`;
  params.push(scope.groupIds);
  const groups = `$${params.length}::uuid[]`;
  return ` AND (${columns.owner} = ${user}
            OR ${columns.account} IN (${groupAccountsSql(groups)})
            OR ${columns.apiKey} IN (${groupKeysSql(groups)}))`;
}
