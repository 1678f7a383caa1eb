// Company sign-in in the browser: the admin adds the identity provider (through the API: the
// page itself is captured), then someone signs in on the provider's own login and consent pages
// and lands on the dashboard with the role their directory group maps to.
import { join } from 'node:path';
import { assert } from '../lib/harness.mjs';
import { freePort, startProcess, waitForOutput } from '../lib/processes.mjs';

export const OIDC_SLUG = 'company';
const CLIENT = { clientId: 'codex-lb-dashboard', clientSecret: 'e2e-oidc-client-secret-0123456789' };

/** The identity provider's process (stopped with the others at the end of the run). */
export async function startIdentityProvider(stack, root) {
  const port = await freePort();
  const proc = startProcess(
    'oidc-provider',
    process.execPath,
    [
      join(root, 'apps/web/e2e/lib/oidc-provider.mjs'),
      '--port',
      String(port),
      '--redirect-uri',
      `${stack.webUrl}/api/dashboard-auth/oidc/${OIDC_SLUG}/callback`,
      '--client-id',
      CLIENT.clientId,
      '--client-secret',
      CLIENT.clientSecret,
    ],
    { cwd: root, env: { ...process.env, NODE_ENV: 'development' }, logDir: stack.work },
  );
  const [, issuer] = await waitForOutput(proc, /listening on (http:\/\/\S+)/);
  return { issuer, ...CLIENT };
}

/** The provider with a mapping from the `engineering` group to the `user` role and a group. */
export async function addIdentityProvider(api, { issuer, clientId, clientSecret }) {
  const group = await api.request('POST', '/api/groups', { slug: 'engineering', name: 'Engineering' });
  return api.request('POST', '/api/identity-providers', {
    slug: OIDC_SLUG,
    name: 'Company SSO',
    issuer,
    clientId,
    clientSecret,
    scopes: ['openid', 'email', 'profile', 'groups'],
    allowedDomains: ['example.test'],
    createUsers: true,
    defaultRole: 'viewer',
    mappings: [{ claim: 'groups', value: 'engineering', role: 'user', groupId: group.id, groupRole: 'member' }],
  });
}

/** Login page → provider button → the provider's login and consent → the dashboard. */
export async function signInWithProvider(page, { login, issuer, screenshot }) {
  await page.goto('/login');
  const button = page.getByRole('link', { name: 'Sign in with Company SSO' });
  await button.waitFor();
  await screenshot?.('login-providers');
  await button.click();
  await page.waitForURL((url) => url.href.startsWith(issuer));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any-password');
  await screenshot?.('provider-login');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((url) => !url.href.startsWith(issuer) && !url.pathname.startsWith('/login'), {
    timeout: 30_000,
  });
  const session = await page.evaluate(() => fetch('/api/dashboard-auth/session').then((response) => response.json()));
  assert(session.authenticated === true, `not signed in after the provider: ${JSON.stringify(session)}`);
  return session;
}
