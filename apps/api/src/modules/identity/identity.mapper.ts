// Rows to response shapes. The client secret's envelope never leaves: only whether one is stored.
import type { IdentityInvitationDto, IdentityProviderDto, LinkedIdentityDto } from '@codex-lb/shared';
import type { LinkedIdentityRow } from './identities.repository';
import type { InvitationRow, MappingRow, ProviderRow } from './identity-providers.repository';

const iso = (value: Date | string) => new Date(value).toISOString();

export function toProviderDto(row: ProviderRow, mappings: MappingRow[], redirectUri: string): IdentityProviderDto {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    issuer: row.issuer,
    clientId: row.clientId,
    hasClientSecret: row.clientSecret !== null,
    scopes: row.scopes,
    allowedDomains: row.allowedDomains,
    createUsers: row.createUsers,
    defaultRole: row.defaultRole,
    enabled: row.enabled,
    acceptAmrAsMfa: row.acceptAmrAsMfa,
    scimExternalIdClaim: row.scimExternalIdClaim,
    mappings: mappings.map((mapping) => ({
      claim: mapping.claim,
      value: mapping.value,
      ...(mapping.role ? { role: mapping.role } : {}),
      ...(mapping.groupId ? { groupId: mapping.groupId, groupRole: mapping.groupRole ?? undefined } : {}),
      allowAdmin: mapping.allowAdmin,
    })),
    redirectUri,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function toInvitationDto(row: InvitationRow): IdentityInvitationDto {
  return {
    id: row.id,
    providerId: row.providerId,
    email: row.email,
    role: row.role,
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
    consumedAt: row.consumedAt ? iso(row.consumedAt) : null,
  };
}

export function toLinkedIdentityDto(row: LinkedIdentityRow): LinkedIdentityDto {
  return {
    id: row.id,
    providerSlug: row.providerSlug,
    providerName: row.providerName,
    email: row.email,
    createdAt: iso(row.createdAt),
    lastLoginAt: row.lastLoginAt ? iso(row.lastLoginAt) : null,
  };
}
