import type { ServiceAccountDto } from '@codex-lb/shared';
import type { ServiceAccountRow } from './service-accounts.repository';

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export function toServiceAccountDto(row: ServiceAccountRow): ServiceAccountDto {
  return {
    id: row.id,
    name: row.name,
    groupId: row.groupId,
    groupName: row.groupName,
    isActive: row.isActive,
    keyCount: row.keyCount,
    lastUsedAt: iso(row.lastUsedAt),
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}
