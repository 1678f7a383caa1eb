// Reads the claims codex-lb needs from a ChatGPT id token. The token came from the token endpoint
// over TLS (or from the user's own auth.json), so only its shape is checked, not a signature.
// Each claim kept is checked like any API string (no NUL, well-formed, fits its accounts column),
// so a hostile auth.json is a 400 and never a database error.
import { isSaneDate, textProblem, type TextRules } from '../../common/validation';

export interface SeatClaims {
  email: string | null;
  chatgptAccountId: string;
  chatgptUserId: string;
  planType: string | null;
}

export class IdTokenError extends Error {}

const AUTH_CLAIM = 'https://api.openai.com/auth';
const PROFILE_CLAIM = 'https://api.openai.com/profile';

export function decodeJwtPayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new IdTokenError('it is not a JWT (expected three dot-separated parts)');
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof payload !== 'object' || payload === null) throw new Error('not an object');
    return payload as Record<string, unknown>;
  } catch {
    throw new IdTokenError('its payload is not base64url-encoded JSON');
  }
}

/** A claim's value when it is a non-empty string; a string the column cannot hold is an error. */
function claim(name: string, value: unknown, rules: TextRules): string | null {
  if (typeof value !== 'string' || value.length === 0) return null;
  const problem = textProblem(value, rules);
  if (problem) throw new IdTokenError(`its ${name} claim ${problem}`);
  return value;
}

// Column lengths from the accounts migration.
const ID = { max: 128 };
const EMAIL = { max: 320 };
const PLAN = { max: 32 };

export function readSeatClaims(idToken: string, fallbackAccountId?: string | null): SeatClaims {
  const payload = decodeJwtPayload(idToken);
  const auth = asObject(payload[AUTH_CLAIM]);
  const profile = asObject(payload[PROFILE_CLAIM]);
  const chatgptAccountId =
    claim('chatgpt_account_id', auth.chatgpt_account_id, ID) ?? claim('account_id', fallbackAccountId, ID);
  if (!chatgptAccountId) throw new IdTokenError(`it has no ${AUTH_CLAIM} chatgpt_account_id claim`);
  const chatgptUserId =
    claim('chatgpt_user_id', auth.chatgpt_user_id, ID) ??
    claim('user_id', auth.user_id, ID) ??
    claim('sub', payload.sub, ID);
  if (!chatgptUserId) throw new IdTokenError('it has no chatgpt_user_id (or sub) claim');
  return {
    email: claim('email', payload.email, EMAIL) ?? claim('email', profile.email, EMAIL),
    chatgptAccountId,
    chatgptUserId,
    planType: claim('chatgpt_plan_type', auth.chatgpt_plan_type, PLAN),
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * The access token's expiry, when it is a JWT with a plausible `exp`; null otherwise (an unknown
 * expiry only means the token is refreshed when the upstream refuses it).
 */
export function accessTokenExpiry(accessToken: string): Date | null {
  try {
    return expiryOf(decodeJwtPayload(accessToken).exp);
  } catch {
    return null;
  }
}

/** Like accessTokenExpiry, but an `exp` that is not a date between 1970 and 9999 is an error. */
export function checkedAccessTokenExpiry(accessToken: string): Date | null {
  let exp: unknown;
  try {
    exp = decodeJwtPayload(accessToken).exp;
  } catch {
    return null;
  }
  if (exp === undefined || exp === null) return null;
  const expiry = expiryOf(exp);
  if (!expiry) throw new IdTokenError('its exp claim is not a date between 1970 and 9999');
  return expiry;
}

function expiryOf(exp: unknown): Date | null {
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null;
  const date = new Date(exp * 1000);
  return isSaneDate(date) ? date : null;
}
