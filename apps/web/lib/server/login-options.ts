// The login page's identity provider buttons and the local-login policy, read by the page's
// server render so the first HTML already shows the right form. An API that cannot be reached
// answers "no providers, everyone": the password form then explains the problem on submit.
import type { LoginOptionsResponse } from '@codex-lb/shared';
import { apiOrigin } from './api-origin';

export async function getLoginOptions(): Promise<LoginOptionsResponse> {
  try {
    const response = await fetch(`${apiOrigin()}/api/dashboard-auth/providers`, {
      headers: { accept: 'application/json' },
      cache: 'no-store',
    });
    if (!response.ok) return { providers: [], localLogin: 'everyone' };
    return (await response.json()) as LoginOptionsResponse;
  } catch {
    return { providers: [], localLogin: 'everyone' };
  }
}
