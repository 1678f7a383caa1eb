// Request bodies for /api/identity-providers, /api/auth-settings and /api/me/identities. Unknown
// fields are rejected by the global pipe; rules across fields (admin-level roles, known groups and
// roles, a usable issuer URL) live in the services.
import { Type } from 'class-transformer';
import { ValidateNested } from 'class-validator';
import {
  BREAK_GLASS_MAX_USERS,
  GROUP_ROLES,
  IDENTITY_CLAIM_NAME_MAX,
  IDENTITY_CLAIM_VALUE_MAX,
  IDENTITY_PROVIDER_CLIENT_ID_MAX,
  IDENTITY_PROVIDER_MAX_DOMAINS,
  IDENTITY_PROVIDER_MAX_MAPPINGS,
  IDENTITY_PROVIDER_MAX_SCOPES,
  IDENTITY_PROVIDER_NAME_MAX,
  IDENTITY_PROVIDER_SECRET_MAX,
  IDENTITY_PROVIDER_SLUG_PATTERN,
  IDENTITY_PROVIDER_URL_MAX,
  LOCAL_LOGIN_POLICIES,
  ROLE_SLUG_PATTERN,
  type CreateIdentityInvitationRequest,
  type CreateIdentityProviderRequest,
  type GroupRole,
  type IdentityMapping,
  type LocalLoginPolicy,
  type UpdateAuthSettingsRequest,
  type UpdateIdentityProviderRequest,
} from '@codex-lb/shared';
import { Bool, List, Nullable, OneOf, Optional, Text, Uuid } from '../../../common/validation';

const SLUG = {
  max: 32,
  min: 2,
  pattern: IDENTITY_PROVIDER_SLUG_PATTERN,
  patternMessage: 'must be 2-32 lowercase letters, digits and dashes',
};
const ROLE = { max: 32, pattern: ROLE_SLUG_PATTERN, patternMessage: 'must be a role slug' };
const SCOPE = { max: 64, min: 1, pattern: /^[\x21\x23-\x5b\x5d-\x7e]+$/, patternMessage: 'must be a scope token' };
const DOMAIN = {
  max: 253,
  min: 1,
  pattern: /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i,
  patternMessage: 'must be a domain name such as example.com',
};
const CLAIM = {
  max: IDENTITY_CLAIM_NAME_MAX,
  min: 1,
  pattern: /^[A-Za-z0-9_.:/-]+$/,
  patternMessage: 'must be a claim name',
};
const EMAIL = { max: 320, min: 3, pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, patternMessage: 'must be an e-mail address' };

export class IdentityMappingDto implements IdentityMapping {
  @Text(CLAIM)
  claim: string;

  @Text({ max: IDENTITY_CLAIM_VALUE_MAX, min: 1 })
  value: string;

  @Optional()
  @Text(ROLE)
  role?: string;

  @Optional()
  @Uuid({ what: 'a group id' })
  groupId?: string;

  @Optional()
  @OneOf(GROUP_ROLES)
  groupRole?: GroupRole;

  @Optional()
  @Bool()
  allowAdmin?: boolean;
}

/** What creating and changing a provider share: every field here is optional in both. */
class IdentityProviderOptionsDto {
  @Optional()
  @List({ max: IDENTITY_PROVIDER_MAX_SCOPES })
  @Text({ ...SCOPE, each: true })
  scopes?: string[];

  @Optional()
  @List({ max: IDENTITY_PROVIDER_MAX_DOMAINS })
  @Text({ ...DOMAIN, each: true })
  allowedDomains?: string[];

  @Optional()
  @Bool()
  createUsers?: boolean;

  @Optional()
  @Text(ROLE)
  defaultRole?: string;

  @Optional()
  @Bool()
  enabled?: boolean;

  @Optional()
  @Bool()
  acceptAmrAsMfa?: boolean;

  /** The claim carrying the directory's externalId (`sub`, `oid`); null turns the link off. */
  @Nullable()
  @Text(CLAIM)
  scimExternalIdClaim?: string | null;

  @Optional()
  @List({ max: IDENTITY_PROVIDER_MAX_MAPPINGS })
  @ValidateNested({ each: true })
  @Type(() => IdentityMappingDto)
  mappings?: IdentityMappingDto[];
}

export class CreateIdentityProviderDto extends IdentityProviderOptionsDto implements CreateIdentityProviderRequest {
  @Text(SLUG)
  slug: string;

  @Text({ max: IDENTITY_PROVIDER_NAME_MAX, min: 1 })
  name: string;

  @Text({ max: IDENTITY_PROVIDER_URL_MAX, min: 8 })
  issuer: string;

  @Text({ max: IDENTITY_PROVIDER_CLIENT_ID_MAX, min: 1 })
  clientId: string;

  @Optional()
  @Text({ max: IDENTITY_PROVIDER_SECRET_MAX, min: 1, trim: false })
  clientSecret?: string;
}

export class UpdateIdentityProviderDto extends IdentityProviderOptionsDto implements UpdateIdentityProviderRequest {
  @Optional()
  @Text(SLUG)
  slug?: string;

  @Optional()
  @Text({ max: IDENTITY_PROVIDER_NAME_MAX, min: 1 })
  name?: string;

  @Optional()
  @Text({ max: IDENTITY_PROVIDER_URL_MAX, min: 8 })
  issuer?: string;

  @Optional()
  @Text({ max: IDENTITY_PROVIDER_CLIENT_ID_MAX, min: 1 })
  clientId?: string;

  /** null removes the stored secret. */
  @Nullable()
  @Text({ max: IDENTITY_PROVIDER_SECRET_MAX, min: 1, trim: false })
  clientSecret?: string | null;
}

export class CreateIdentityInvitationDto implements CreateIdentityInvitationRequest {
  @Text(EMAIL)
  email: string;

  @Optional()
  @Text(ROLE)
  role?: string;
}

export class UpdateAuthSettingsDto implements UpdateAuthSettingsRequest {
  @Optional()
  @OneOf(LOCAL_LOGIN_POLICIES)
  localLogin?: LocalLoginPolicy;

  @Optional()
  @List({ max: BREAK_GLASS_MAX_USERS })
  @Uuid({ each: true, what: 'a user id' })
  breakGlassUserIds?: string[];
}

/** GET /api/dashboard-auth/oidc/:slug/start?returnTo=/path */
export class OidcStartQueryDto {
  @Optional()
  @Text({ max: 256 })
  returnTo?: string;
}
