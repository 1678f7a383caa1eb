// Renders a component inside the providers the dashboard gives it, with a router stub.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import type { AuthenticatedSession, Permission, Role } from '@codex-lb/shared';
import { permissionsForRole } from '@codex-lb/shared';
import { SessionProvider } from '@/components/session-provider';

export function sessionFor(role: Role, username = role === 'admin' ? 'admin' : 'alice'): AuthenticatedSession {
  return {
    authenticated: true,
    user: { id: `${username}-id`, username, role },
    permissions: permissionsForRole(role),
    mustChangePassword: false,
  };
}

/** A session holding exactly `permissions` under a (possibly custom) role slug. */
export function sessionWith(
  permissions: Permission[],
  {
    role = 'custom',
    username = 'vera',
    mfa,
  }: { role?: string; username?: string; mfa?: AuthenticatedSession['mfa'] } = {},
): AuthenticatedSession {
  return {
    authenticated: true,
    user: { id: `${username}-id`, username, role },
    permissions,
    mustChangePassword: false,
    mfa,
  };
}

/** Everything a read-only auditor may see, and nothing it may change. */
export const READ_ONLY_PERMISSIONS: Permission[] = [
  'accounts:read',
  'api-keys:read',
  'usage:read',
  'users:read',
  'groups:read',
  'service-accounts:read',
  'roles:read',
  'audit:read',
  'owners:all',
];

export function renderWithProviders(ui: ReactElement, options: { session?: AuthenticatedSession } = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const tree = options.session ? <SessionProvider session={options.session}>{ui}</SessionProvider> : ui;
  return { client, ...render(<QueryClientProvider client={client}>{tree}</QueryClientProvider>) };
}

/** The slice of a fetch Response the API client reads (jsdom has no Response class). */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  const lower = new Map(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
  const text = body === undefined ? '' : JSON.stringify(body);
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: { get: (name: string) => lower.get(name.toLowerCase()) ?? null },
    json: async () => JSON.parse(text),
    text: async () => text,
  };
}

/** Stubs fetch with answers in order; returns the mock to inspect the calls. */
export function mockFetch(...responses: ReturnType<typeof jsonResponse>[]) {
  const mock = jest.fn();
  for (const response of responses) mock.mockResolvedValueOnce(response);
  global.fetch = mock as unknown as typeof fetch;
  return mock;
}

type Answer = ReturnType<typeof jsonResponse>;

/**
 * Stubs fetch by route: `'GET /api/groups'` (query string ignored) → an answer, or a function of
 * the request body for writes. Unknown routes answer 404 so a test notices an unexpected call.
 */
export function routeFetch(routes: Record<string, Answer | ((body: unknown) => Answer)>) {
  const mock = jest.fn(async (url: string, init: RequestInit = {}) => {
    const key = `${init.method ?? 'GET'} ${String(url).split('?')[0]}`;
    const answer = routes[key];
    if (!answer) return jsonResponse(404, { error: { code: 'not_found', message: `no stub for ${key}` } });
    return typeof answer === 'function' ? answer(init.body ? JSON.parse(String(init.body)) : undefined) : answer;
  });
  global.fetch = mock as unknown as typeof fetch;
  return mock;
}
