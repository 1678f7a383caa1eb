import type { AccountDto, QuotaWindowDto } from '@codex-lb/shared';
import { settle, stateOfRow } from './account-state';
import type { AccountRow } from './accounts.repository';

function window(used: number | null, minutes: number | null, resetsAt: Date | null): QuotaWindowDto | null {
  if (used === null) return null;
  return { usedPercent: used, windowMinutes: minutes, resetsAt: resetsAt?.toISOString() ?? null };
}

/** The public view of an account: never a token, never a lease. */
/** The owning user's or group's id (events and caches address either). */
export function ownerIdOf(row: Pick<AccountRow, 'ownerUserId' | 'ownerGroupId'>): string {
  return (row.ownerUserId ?? row.ownerGroupId)!;
}

/** `visibleGroups`: the groups the caller may see shares into (undefined: every group). */
export function toAccountDto(row: AccountRow, visibleGroups: readonly string[] | undefined): AccountDto {
  // A cooldown that has run out shows as active even before an event rewrites the row.
  const state = settle(stateOfRow(row), Date.now());
  return {
    id: row.id,
    ownerUserId: row.ownerUserId,
    ownerUsername: row.ownerUsername,
    ownerType: row.ownerGroupId ? 'group' : 'user',
    ownerId: ownerIdOf(row),
    ownerGroupName: row.ownerGroupName,
    sharedWith: visibleGroups ? row.sharedWith.filter((id) => visibleGroups.includes(id)) : row.sharedWith,
    email: row.email,
    alias: row.alias,
    planType: row.planType,
    chatgptAccountId: row.chatgptAccountId,
    status: state.status,
    statusReason: state.statusReason,
    cooldownUntil: state.cooldownUntil ? new Date(state.cooldownUntil).toISOString() : null,
    primaryWindow: window(row.primaryUsedPercent, row.primaryWindowMinutes, row.primaryResetsAt),
    secondaryWindow: window(row.secondaryUsedPercent, row.secondaryWindowMinutes, row.secondaryResetsAt),
    quotaFetchedAt: row.quotaFetchedAt?.toISOString() ?? null,
    lastRefreshAt: row.lastRefreshAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
