// Reads the claims codex-lb needs from a ChatGPT id token. The token came from the token endpoint
// over TLS (or from the user's own auth.json), so only its shape is checked, not a signature.

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

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function readSeatClaims(idToken: string, fallbackAccountId?: string | null): SeatClaims {
  const payload = decodeJwtPayload(idToken);
  const auth = (payload[AUTH_CLAIM] ?? {}) as Record<string, unknown>;
  const profile = (payload[PROFILE_CLAIM] ?? {}) as Record<string, unknown>;
  const chatgptAccountId = str(auth.chatgpt_account_id) ?? str(fallbackAccountId);
  if (!chatgptAccountId) throw new IdTokenError(`it has no ${AUTH_CLAIM} chatgpt_account_id claim`);
  const chatgptUserId = str(auth.chatgpt_user_id) ?? str(auth.user_id) ?? str(payload.sub);
  if (!chatgptUserId) throw new IdTokenError('it has no chatgpt_user_id (or sub) claim');
  return {
    email: str(payload.email) ?? str(profile.email),
    chatgptAccountId,
    chatgptUserId,
    planType: str(auth.chatgpt_plan_type),
  };
}

/** The access token's expiry, when it is a JWT with `exp`; null otherwise. */
export function accessTokenExpiry(accessToken: string): Date | null {
  try {
    const exp = decodeJwtPayload(accessToken).exp;
    return typeof exp === 'number' ? new Date(exp * 1000) : null;
  } catch {
    return null;
  }
}
