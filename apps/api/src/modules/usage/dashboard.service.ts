// The overview page in one answer: the caller's accounts with their quota windows, today's
// totals (UTC day, from rollups) and the keys closest to one of their limits; each includes what
// the caller sees through their groups, as the accounts, usage and keys routes do.
import { Injectable } from '@nestjs/common';
import type { ApiKeyDto, DashboardOverviewResponse, KeyNearLimitDto } from '@codex-lb/shared';
import type { Principal } from '../../common/principal';
import { AccountsService } from '../accounts/accounts.service';
import { ApiKeysService } from '../api-keys/api-keys.service';
import type { OwnerFilterQueryDto } from './dto/usage.dto';
import { DAY_MS, HOUR_MS } from './time-range';
import { UsageService } from './usage.service';

export const KEYS_NEAR_LIMIT = 5;

@Injectable()
export class DashboardService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly usage: UsageService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async overview(
    principal: Principal,
    query: OwnerFilterQueryDto,
    now = new Date(),
  ): Promise<DashboardOverviewResponse> {
    const scope = this.usage.scope(principal, query.ownerId);
    const from = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
    const to = new Date(Math.max(from.getTime() + HOUR_MS, Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS));
    const [accounts, today, keys] = await Promise.all([
      this.accounts.list(principal, query.ownerId),
      this.usage.period(scope, { from, to }),
      this.apiKeys.list(principal, { ownerId: query.ownerId }),
    ]);
    return { accounts, today, keysNearLimit: keysNearLimit(keys, now) };
  }
}

/** Each usable key's most-used limit, highest first. Keys without limits cannot be near one. */
export function keysNearLimit(keys: ApiKeyDto[], now: Date): KeyNearLimitDto[] {
  const nearest: KeyNearLimitDto[] = [];
  for (const key of keys) {
    if (!key.isActive || key.revokedAt || (key.expiresAt && Date.parse(key.expiresAt) <= now.getTime())) continue;
    let best: KeyNearLimitDto | null = null;
    for (const limit of key.limits) {
      if (!(limit.max > 0)) continue;
      const usedPercent = Math.round((limit.used / limit.max) * 1000) / 10;
      if (!best || usedPercent > best.usedPercent) {
        best = {
          apiKeyId: key.id,
          name: key.name,
          ownerUserId: key.ownerUserId,
          ownerUsername: key.ownerUsername,
          kind: limit.kind,
          window: limit.window,
          model: limit.model,
          used: limit.used,
          max: limit.max,
          usedPercent,
          resetsAt: limit.resetsAt,
        };
      }
    }
    if (best) nearest.push(best);
  }
  nearest.sort((a, b) => b.usedPercent - a.usedPercent || a.name.localeCompare(b.name));
  return nearest.slice(0, KEYS_NEAR_LIMIT);
}
