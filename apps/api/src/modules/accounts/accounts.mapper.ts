import type { AccountDto, QuotaWindowDto } from '@codex-lb/shared';
import type { AccountRow } from './accounts.repository';

function window(used: number | null, minutes: number | null, resetsAt: Date | null): QuotaWindowDto | null {
  if (used === null) return null;
  return { usedPercent: used, windowMinutes: minutes, resetsAt: resetsAt?.toISOString() ?? null };
}

/** The public view of an account: never a token, never a lease. */
export function toAccountDto(row: AccountRow): AccountDto {
  return {
    id: row.id,
    ownerUserId: row.ownerUserId,
    ownerUsername: row.ownerUsername,
    email: row.email,
    alias: row.alias,
    planType: row.planType,
    chatgptAccountId: row.chatgptAccountId,
    status: row.status,
    statusReason: row.statusReason,
    cooldownUntil: row.cooldownUntil?.toISOString() ?? null,
    primaryWindow: window(row.primaryUsedPercent, row.primaryWindowMinutes, row.primaryResetsAt),
    secondaryWindow: window(row.secondaryUsedPercent, row.secondaryWindowMinutes, row.secondaryResetsAt),
    quotaFetchedAt: row.quotaFetchedAt?.toISOString() ?? null,
    lastRefreshAt: row.lastRefreshAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
