import type { BadgeTone } from '@/components/ui/badge';
import type { ApiKeyDto } from '@codex-lb/shared';

export function apiKeyStatus(
  key: Pick<ApiKeyDto, 'revokedAt' | 'expiresAt' | 'isActive'>,
  now = Date.now(),
): { label: string; tone: BadgeTone } {
  if (key.revokedAt) return { label: 'Revoked', tone: 'red' };
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= now) return { label: 'Expired', tone: 'amber' };
  if (!key.isActive) return { label: 'Disabled', tone: 'neutral' };
  return { label: 'Active', tone: 'green' };
}
