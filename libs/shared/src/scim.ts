// What the dashboard and the API agree on for SCIM provisioning: the tokens a company directory
// (Okta, Entra ID, Google Workspace, Keycloak, Authentik) authenticates to /scim/v2 with. A token
// is shown once, in the answer that creates it; lists show its display prefix only.

export const SCIM_TOKEN_NAME_MAX_LENGTH = 100;
/** Live (not revoked) tokens at once: a directory needs one, a migration between two a second. */
export const SCIM_TOKENS_MAX = 20;

/** GET /api/scim-tokens (items), and the token part of POST /api/scim-tokens. */
export interface ScimTokenDto {
  id: string;
  name: string;
  /** The first characters of the token, to tell tokens apart (`scim-clb-` and 5 more). */
  prefix: string;
  createdAt: string;
  /** Who created it (null once that user is deleted). */
  createdBy: { id: string; username: string } | null;
  /** The last SCIM request made with it (refreshed at most once a minute). */
  lastUsedAt: string | null;
}

export interface CreateScimTokenRequest {
  name: string;
}

/** POST /api/scim-tokens: the token itself, only in this answer. */
export interface CreatedScimTokenDto extends ScimTokenDto {
  token: string;
}
