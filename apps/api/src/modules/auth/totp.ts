// TOTP as RFC 6238 and every authenticator app read it: SHA-1, 6 digits, 30-second steps, and a
// code from the step before or after the current one accepted for clock drift. matchStep says
// which step a code belongs to; the caller records that step so the code works once.
import { Secret, TOTP } from 'otpauth';

const ISSUER = 'codex-lb';
const PERIOD = 30;
const WINDOW = 1;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label = 'codex-lb'): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(secret),
  });
}

export function otpauthUrl(secret: string, username: string): string {
  return totp(secret, username).toString();
}

/** The time step a 6-digit code is valid for (now ± 1 step), or null. */
export function matchStep(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const generator = totp(secret);
  const delta = generator.validate({ token: code, timestamp: now, window: WINDOW });
  if (delta === null) return null;
  return generator.counter({ timestamp: now }) + delta;
}

/** The code of a given moment (specs and the fake authenticator of the browser tests). */
export function totpCode(secret: string, now = Date.now()): string {
  return totp(secret).generate({ timestamp: now });
}
