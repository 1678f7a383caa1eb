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
