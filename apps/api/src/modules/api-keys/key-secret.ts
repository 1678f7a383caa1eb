// The API key secret format and everything done with the secret itself. A key is `sk-clb-` and
// 32 random bytes in base64url (256 bits), so a plain SHA-256 digest is enough to store it: there
// is nothing to brute-force, unlike a password.
import { hash, randomBytes } from 'node:crypto';

export const KEY_PREFIX = 'sk-clb-';
/** How much of the secret lists show: the fixed prefix and 5 random characters. */
export const DISPLAY_PREFIX_LENGTH = 12;
const KEY_PATTERN = /^sk-clb-[A-Za-z0-9_-]{43}$/;

export interface NewSecret {
  key: string;
  digest: string;
  prefix: string;
}

export function generateSecret(): NewSecret {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, digest: digestHex(key), prefix: key.slice(0, DISPLAY_PREFIX_LENGTH) };
}

/** False for anything that cannot be one of our keys; those need no lookup at all. */
export function isWellFormedKey(value: string): boolean {
  return value.length === KEY_PREFIX.length + 43 && KEY_PATTERN.test(value);
}

/** SHA-256 of the secret, hex: what is stored, and what the key cache is keyed by. */
export function digestHex(key: string): string {
  return hash('sha256', key, 'hex');
}

/**
 * The key a request carries: `Authorization: Bearer <key>` first, then `x-api-key`. Returns null
 * when neither header is present or they are empty.
 */
export function keyFromHeaders(headers: Record<string, string | string[] | undefined>): string | null {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.length > 7) {
    const space = authorization.indexOf(' ');
    if (space > 0 && authorization.slice(0, space).toLowerCase() === 'bearer') {
      const token = authorization.slice(space + 1).trim();
      if (token) return token;
    }
  }
  const header = headers['x-api-key'];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim() || null;
}
