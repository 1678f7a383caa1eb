import type { BadgeTone } from '@/components/ui/badge';
import type { ApiKeyDto } from '@/lib/types';

export function apiKeyStatus(key: Pick<ApiKeyDto, 'revokedAt' | 'expiresAt' | 'isActive'>, now = Date.now()): { label: string; tone: BadgeTone } {
  if (key.revokedAt) return { label: 'Revoked', tone: 'red' };
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= now) return { label: 'Expired', tone: 'amber' };
  if (!key.isActive) return { label: 'Disabled', tone: 'neutral' };
  return { label: 'Active', tone: 'green' };
}

/** Share of the tightest limit used, 0–100, or null when the key has no limit with usage. */
export function tightestLimitPercent(key: Pick<ApiKeyDto, 'limits'>): number | null {
  const shares = key.limits.filter((limit) => typeof limit.used === 'number' && limit.max > 0).map((limit) => ((limit.used as number) / limit.max) * 100);
  return shares.length ? Math.max(...shares) : null;
}
