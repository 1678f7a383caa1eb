// The effective pool of a key, the one rule the router and the API's explainer both use:
//
//   the key owner's own accounts
//   ∪ for each group attached to the key where the owner is now `member` or `owner`:
//       the group's own accounts and the accounts shared into it
//   ∩ the key's account allowlist (when it has one)
//   − accounts that cannot serve now (the selector drops those; the explainer says why).
//
// Computed from memory on every call (the account pool and the group index), never stored: a
// membership, share or ownership change is visible to the very next request.
import type { GroupRole } from '@codex-lb/shared';
import { usability } from '../../accounts/account-state';
import { canRouteThrough, type GroupView } from '../../groups/group-index';
import type { PooledAccount } from './account-pool';

/** What the rule reads of a key. */
export interface PoolKey {
  ownerUserId: string;
  groupIds: readonly string[];
  /** null = no allowlist. */
  accountIds: readonly string[] | null;
}

/** What the rule reads of the accounts. */
export interface AccountSource {
  /** Accounts owned by this user (a stale entry for an account now owned by a group is tolerated). */
  forOwner(userId: string): PooledAccount[];
  get(id: string): PooledAccount | undefined;
}

/** How an account reaches a key: 'own', 'group:<id> owns it' or 'shared into group:<id>'. */
export type Via = string;

/** Each account the key reaches (before the allowlist), with how it first reached it. */
export function reach(key: PoolKey, accounts: AccountSource, groups: GroupView): Map<string, Via> {
  const out = new Map<string, Via>();
  for (const account of accounts.forOwner(key.ownerUserId)) {
    // Moved into a group since the pool last reloaded it: only the group decides now.
    if (groups.groupOwnerOf(account.id) === undefined) out.set(account.id, 'own');
  }
  for (const groupId of key.groupIds) {
    if (!canRouteThrough(groups.roleOf(groupId, key.ownerUserId))) continue;
    for (const id of groups.ownedBy(groupId)) if (!out.has(id)) out.set(id, `group:${groupId} owns it`);
    for (const id of groups.sharedInto(groupId)) if (!out.has(id)) out.set(id, `shared into group:${groupId}`);
  }
  return out;
}

/** The router's candidates: the pool ∩ the allowlist, in a stable order (usability is the selector's). */
export function effectivePool(key: PoolKey, accounts: AccountSource, groups: GroupView): PooledAccount[] {
  const allowed = key.accountIds === null ? null : new Set(key.accountIds);
  // The common case, a key with no groups, costs what the owner's list alone costs.
  if (key.groupIds.length === 0) {
    return accounts
      .forOwner(key.ownerUserId)
      .filter((a) => groups.groupOwnerOf(a.id) === undefined && (!allowed || allowed.has(a.id)));
  }
  const out: PooledAccount[] = [];
  for (const id of reach(key, accounts, groups).keys()) {
    if (allowed && !allowed.has(id)) continue;
    const account = accounts.get(id);
    if (account) out.push(account);
  }
  return out;
}

export interface Explained {
  accountId: string;
  label: string | null;
  usable: boolean;
  via: Via | null;
  reason: string | null;
}

const REASONS: Record<string, string> = {
  paused: 'paused by its owner',
  reauth_required: 'needs a new sign-in',
  deactivated: 'deactivated upstream',
  cooling_down: 'cooling down after a rate limit',
  quota_exhausted: 'quota exhausted until its window resets',
  backing_off: 'backing off after an upstream error',
};

/**
 * Account by account, why the key may use it or why not: every account it reaches, plus the
 * accounts of its attached groups it cannot reach (the owner is only a viewer, or no longer a
 * member). `usable` is true exactly for the accounts the router may pick now.
 */
export function explainPool(key: PoolKey, accounts: AccountSource, groups: GroupView, now: number): Explained[] {
  const reached = reach(key, accounts, groups);
  const allowed = key.accountIds === null ? null : new Set(key.accountIds);
  const inPool = new Set(effectivePool(key, accounts, groups).map((a) => a.id));
  const out: Explained[] = [];
  const label = (id: string) => accounts.get(id)?.email ?? null;
  for (const [id, via] of reached) {
    const account = accounts.get(id);
    let reason: string | null = null;
    if (allowed && !allowed.has(id)) reason = 'not in the key’s account allowlist';
    else if (!account || !inPool.has(id)) reason = 'not loaded';
    else {
      const state = usability(account, now);
      if (!state.usable) reason = REASONS[state.reason] ?? state.reason;
      else if (account.accessToken === '') reason = 'its tokens cannot be decrypted';
    }
    out.push({ accountId: id, label: label(id), usable: reason === null, via, reason });
  }
  for (const groupId of key.groupIds) {
    const role: GroupRole | undefined = groups.roleOf(groupId, key.ownerUserId);
    if (canRouteThrough(role)) continue;
    const reason =
      role === 'viewer'
        ? `the key’s owner is only a viewer of group:${groupId}`
        : `the key’s owner is not a member of group:${groupId}`;
    for (const id of [...groups.ownedBy(groupId), ...groups.sharedInto(groupId)]) {
      if (reached.has(id) || out.some((e) => e.accountId === id)) continue;
      out.push({ accountId: id, label: label(id), usable: false, via: null, reason });
    }
  }
  return out;
}
