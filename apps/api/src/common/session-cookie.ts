// The dashboard's cookies: the session, and the short-lived pending sign-in that waits for a
// second factor. Both are Secure with the __Host- prefix when the dashboard's URL (the first of
// CODEX_LB_DASHBOARD_ORIGINS) is https (the browser then refuses them over plain http and from
// any subdomain), whatever scheme the hop in front of the API used. The dashboard's server finds the session by the name's suffix, so both
// spellings work there (apps/web/lib/server/session.ts).
import type { Settings } from '../config/settings';

export const SESSION_COOKIE_BASE = 'codex_lb_session';
export const MFA_PENDING_COOKIE_BASE = 'codex_lb_mfa_pending';

export interface CookieNames {
  secure: boolean;
  session: string;
  mfaPending: string;
}

export function cookieNames(settings: Pick<Settings, 'dashboardUrl'>): CookieNames {
  const secure = settings.dashboardUrl.startsWith('https:');
  const prefix = secure ? '__Host-' : '';
  return { secure, session: `${prefix}${SESSION_COOKIE_BASE}`, mfaPending: `${prefix}${MFA_PENDING_COOKIE_BASE}` };
}

export function cookieOptions(names: CookieNames, maxAgeSeconds: number) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: names.secure, maxAge: maxAgeSeconds };
}
