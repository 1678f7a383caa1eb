// The SCIM token format: `scim-clb-` and 32 random bytes in base64url (256 bits), so a plain
// SHA-256 digest is enough to store it, as for API keys. The distinct prefix keeps the two kinds
// apart: a SCIM token is never an API key and an API key never opens /scim/v2.
import { hash, randomBytes } from 'node:crypto';

export const SCIM_TOKEN_PREFIX = 'scim-clb-';
/** How much of the token lists show: the fixed prefix and 5 random characters. */
export const SCIM_DISPLAY_PREFIX_LENGTH = SCIM_TOKEN_PREFIX.length + 5;
const TOKEN_PATTERN = /^scim-clb-[A-Za-z0-9_-]{43}$/;

export function generateScimToken(): { token: string; digest: string; prefix: string } {
  const token = SCIM_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, digest: scimTokenDigest(token), prefix: token.slice(0, SCIM_DISPLAY_PREFIX_LENGTH) };
}

export function isWellFormedScimToken(value: string): boolean {
  return value.length === SCIM_TOKEN_PREFIX.length + 43 && TOKEN_PATTERN.test(value);
}

export function scimTokenDigest(token: string): string {
  return hash('sha256', token, 'hex');
}

/** The bearer token of an Authorization header, or null (SCIM takes no other header). */
export function bearerToken(authorization: string | string[] | undefined): string | null {
  if (typeof authorization !== 'string' || authorization.length > 256) return null;
  const match = /^bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1] : null;
}
