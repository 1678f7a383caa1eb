// Server-side session lookup for layouts and pages. It forwards the browser's cookie to the API
// so the decision to redirect is made before any dashboard HTML is sent.
import { cache } from 'react';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import type { AuthenticatedSession, SessionResponse } from '@codex-lb/shared';
import { mustEnrolMfa } from '@/lib/api/mfa';
import { apiOrigin } from './api-origin';

export class ApiUnreachableError extends Error {}

/** One API call per render, however many server components ask. */
export const getServerSession = cache(async (): Promise<SessionResponse> => {
  const cookieHeader = (await cookies()).toString();
  if (!cookieHeader.includes('codex_lb_session=')) return { authenticated: false };
  const incoming = await headers();
  const forwardedFor = incoming.get('x-forwarded-for');
  let response: Response;
  try {
    response = await fetch(`${apiOrigin()}/api/dashboard-auth/session`, {
      headers: {
        cookie: cookieHeader,
        accept: 'application/json',
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
      },
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiUnreachableError(`Cannot reach the codex-lb API at ${apiOrigin()}: ${(error as Error).message}`);
  }
  if (response.status === 401) return { authenticated: false };
  if (!response.ok) throw new ApiUnreachableError(`The codex-lb API answered HTTP ${response.status} for the session.`);
  return (await response.json()) as SessionResponse;
});

/** For dashboard pages: signed in, past the forced password change and any due 2FA enrolment. */
export async function requireSession(): Promise<AuthenticatedSession> {
  const session = await getServerSession();
  if (!session.authenticated) redirect('/login');
  if (session.mustChangePassword) redirect('/change-password');
  if (mustEnrolMfa(session)) redirect('/enrol-2fa');
  return session;
}
