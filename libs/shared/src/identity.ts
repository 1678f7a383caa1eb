// Company sign-in over OpenID Connect: identity providers, their claim mappings, invitations, the
// identities linked to a user, and the local-login policy. What the dashboard and the API agree on.
import type { GroupRole } from './groups';
import type { MfaPolicy } from './auth';
import type { RoleSlug } from './permissions';

/** Lowercase letters, digits and dashes: the provider's name in its URLs (…/oidc/<slug>/start). */
export const IDENTITY_PROVIDER_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,31}$/;
export const IDENTITY_PROVIDER_NAME_MAX = 64;
export const IDENTITY_PROVIDER_URL_MAX = 512;
export const IDENTITY_PROVIDER_CLIENT_ID_MAX = 255;
export const IDENTITY_PROVIDER_SECRET_MAX = 1024;
export const IDENTITY_PROVIDER_MAX_SCOPES = 20;
export const IDENTITY_PROVIDER_MAX_DOMAINS = 50;
export const IDENTITY_PROVIDER_MAX_MAPPINGS = 100;
export const IDENTITY_CLAIM_NAME_MAX = 64;
export const IDENTITY_CLAIM_VALUE_MAX = 256;

/**
 * One rule: when the ID token's `claim` equals `value` (or, for a list claim such as `groups`,
 * contains it), the user gets `role` and/or membership of `groupId` with `groupRole`. Rules are
 * re-evaluated at every sign-in. A rule may grant an admin-level role (one holding users:manage or
 * roles:manage) only with `allowAdmin`.
 */
export interface IdentityMapping {
  claim: string;
  value: string;
  role?: RoleSlug;
  groupId?: string;
  groupRole?: GroupRole;
  allowAdmin?: boolean;
}

/** GET /api/identity-providers, GET /api/identity-providers/:id. The client secret is never returned. */
export interface IdentityProviderDto {
  id: string;
  slug: string;
  name: string;
  issuer: string;
  clientId: string;
  /** Whether a client secret is stored (it is never shown). */
  hasClientSecret: boolean;
  scopes: string[];
  allowedDomains: string[];
  createUsers: boolean;
  defaultRole: RoleSlug;
  enabled: boolean;
  /** Accept the provider's `amr` claim (mfa, otp, hwk) as the second factor. */
  acceptAmrAsMfa: boolean;
  /**
   * The ID token claim (e.g. `sub` at Okta, `oid` at Entra ID) that equals the SCIM externalId of
   * the people the directory created: an unknown identity whose claim matches one active
   * directory-created user is linked to that user at its first sign-in. Null: no such link.
   */
  scimExternalIdClaim: string | null;
  mappings: IdentityMapping[];
  /** `<dashboard URL>/api/dashboard-auth/oidc/<slug>/callback`: register it at the provider. */
  redirectUri: string;
  createdAt: string;
  updatedAt: string;
}

export interface CreateIdentityProviderRequest {
  slug: string;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes?: string[];
  allowedDomains?: string[];
  createUsers?: boolean;
  defaultRole?: RoleSlug;
  enabled?: boolean;
  acceptAmrAsMfa?: boolean;
  scimExternalIdClaim?: string | null;
  mappings?: IdentityMapping[];
}

/** Every field optional; `clientSecret: null` removes the stored secret. */
export type UpdateIdentityProviderRequest = Partial<Omit<CreateIdentityProviderRequest, 'clientSecret'>> & {
  clientSecret?: string | null;
};

/** POST /api/identity-providers/:id/test */
export interface IdentityProviderTestResult {
  ok: boolean;
  discovery: { ok: boolean; message: string };
  credentials: { ok: boolean; message: string };
}

/** POST|GET /api/identity-providers/:id/invitations */
export interface IdentityInvitationDto {
  id: string;
  providerId: string;
  email: string;
  role: RoleSlug | null;
  createdAt: string;
  expiresAt: string;
  consumedAt: string | null;
}

export interface CreateIdentityInvitationRequest {
  email: string;
  /** The role the invited person gets (defaults to the provider's default role). */
  role?: RoleSlug;
}

/** GET /api/dashboard-auth/providers: enough for the login page's buttons. */
export interface PublicIdentityProviderDto {
  slug: string;
  name: string;
}

export interface LoginOptionsResponse {
  providers: PublicIdentityProviderDto[];
  localLogin: LocalLoginPolicy;
}

/** GET /api/me/identities */
export interface LinkedIdentityDto {
  id: string;
  providerSlug: string;
  providerName: string;
  email: string | null;
  createdAt: string;
  lastLoginAt: string | null;
}

/** POST /api/me/identities/:slug/link: where the browser goes next. */
export interface StartLinkResponse {
  url: string;
}

/**
 * Who may sign in with a password: everyone; only admin-level users (users:manage or
 * roles:manage); or only the named break-glass accounts.
 */
export const LOCAL_LOGIN_POLICIES = ['everyone', 'admins', 'break-glass'] as const;
export type LocalLoginPolicy = (typeof LOCAL_LOGIN_POLICIES)[number];

/** GET /api/auth-settings */
export interface AuthSettingsDto {
  localLogin: LocalLoginPolicy;
  breakGlassUserIds: string[];
  breakGlassUsers: { id: string; username: string }[];
  /** CODEX_LB_MFA_REQUIRED, read-only here. */
  mfaRequiredFor: MfaPolicy;
}

export interface UpdateAuthSettingsRequest {
  localLogin?: LocalLoginPolicy;
  breakGlassUserIds?: string[];
}

export const BREAK_GLASS_MAX_USERS = 10;
