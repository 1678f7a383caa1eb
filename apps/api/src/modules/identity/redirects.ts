// Where the provider sends the browser back (the redirect URI to register, under the dashboard's
// public URL: its /api route forwards to this API), and where a sign-in may land afterwards: only
// paths of the dashboard from this allowlist, never a URL a request names.
import type { Settings } from '../../config/settings';

const RETURN_PATHS = [
  '/',
  '/overview',
  '/accounts',
  '/api-keys',
  '/usage',
  '/request-logs',
  '/groups',
  '/service-accounts',
  '/users',
  '/roles',
  '/audit',
  '/settings',
];

export function redirectUriFor(settings: Pick<Settings, 'dashboardUrl'>, slug: string): string {
  return `${settings.dashboardUrl}/api/dashboard-auth/oidc/${encodeURIComponent(slug)}/callback`;
}

/** The path if it is one of the allowlist's (or below one), else the fallback. */
export function safeReturnTo(value: string | undefined, fallback: string): string {
  if (typeof value !== 'string' || value.length > 200 || !/^\/[A-Za-z0-9/_-]*$/.test(value) || value.includes('//')) {
    return fallback;
  }
  return RETURN_PATHS.some((path) => value === path || (path !== '/' && value.startsWith(`${path}/`)))
    ? value
    : fallback;
}
