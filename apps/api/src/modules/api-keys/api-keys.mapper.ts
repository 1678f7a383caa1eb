import type { ApiKeyDto, ApiKeyLimitDto } from '@codex-lb/shared';
import type { ApiKeyRow } from './api-keys.repository';

/** The response shape of a key: never its digest, never its secret. */
export function toApiKeyDto(row: ApiKeyRow, limits: ApiKeyLimitDto[]): ApiKeyDto {
  return {
    id: row.id,
    ownerUserId: row.ownerUserId,
    ownerUsername: row.ownerUsername,
    name: row.name,
    prefix: row.prefix,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    isActive: row.isActive && row.revokedAt === null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    allowedModels: row.allowedModels,
    accountIds: row.accountIds,
    accountsRestricted: row.accountsRestricted,
    groupIds: row.groupIds,
    scopes: row.scopes,
    limits,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
