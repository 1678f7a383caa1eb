// Issue 16 in the browser: a custom role made and assigned on the Roles and Users pages, what a
// read-only holder of it sees on every page, two-factor sign-in from enrolment to a login with a
// code, the admin's 2FA reset, and the audit log that records all of it.
import { createRequire } from 'node:module';
import { assert } from '../lib/harness.mjs';
import { ApiSession } from '../lib/api-client.mjs';
import { settle } from '../lib/browser.mjs';

// The same TOTP the API checks codes with (apps/api/src/modules/auth/totp.ts), resolved from
// the API's workspace so the browser test needs no dependency of its own.
const requireFromApi = createRequire(new URL('../../../api/package.json', import.meta.url));
const { Secret, TOTP } = requireFromApi('otpauth');

const PERIOD_MS = 30_000;

export function totpCode(secret, now = Date.now()) {
  const totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
  return totp.generate({ timestamp: now });
}

/** A code's time step is accepted once: wait for the step after `usedAt`'s before the next code. */
async function nextTimeStep(usedAt) {
  const next = (Math.floor(usedAt / PERIOD_MS) + 1) * PERIOD_MS;
  const wait = next - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 300));
}

/** What a write control is called on any page (buttons, links and row menu items). */
export const WRITE_CONTROL =
  /^(add|create|new|edit|delete|revoke|rotate|regenerate|save|share|invite|reset|rename|pause|resume|disable|enable|deactivate|activate|withdraw|move|remove|sign in again|refresh usage|groups…|groups and scopes|change owner|turn off|replace)\b/i;

/** The permissions of the custom read-only role: read everything, write nothing (but their own password). */
export const READ_ONLY_ROLE = {
  name: 'Auditor',
  slug: 'auditor',
  permissions: [
    'accounts:read',
    'api-keys:read',
    'usage:read',
    'users:read',
    'groups:read',
    'service-accounts:read',
    'roles:read',
    'audit:read',
    'owners:all',
    'profile:write',
  ],
};

export async function createRoleInBrowser(page, { name, slug, permissions }) {
  await page.goto('/roles');
  await page.getByRole('button', { name: 'New role' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill(name);
  const proposed = await dialog.getByLabel('Slug').inputValue();
  assert(proposed === slug, `the slug proposed for "${name}" was "${proposed}"`);
  for (const permission of permissions) await dialog.getByRole('checkbox', { name: permission, exact: true }).check();
  await dialog.getByRole('button', { name: 'Create role' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const row = page.getByTestId(`role-${slug}`);
  await row.waitFor();
  const text = await row.textContent();
  assert(/custom/.test(text), `the new role is not marked custom: ${text}`);
  for (const permission of permissions) assert(text.includes(permission), `the role row does not list ${permission}`);
}

export async function createUserWithRole(page, { username, password, role }) {
  await page.goto('/users');
  await page.getByRole('button', { name: 'New user' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Username').fill(username);
  await dialog.getByLabel('First password').fill(password);
  await dialog.getByLabel('Role').selectOption(role);
  await dialog.getByRole('button', { name: 'Create user' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const select = page.getByLabel(`Role of ${username}`);
  await select.waitFor();
  assert((await select.inputValue()) === role, `${username} was created with role ${await select.inputValue()}`);
}

/** The role's holder count and holder list name the new holder. */
export async function roleHoldersInclude(page, { name, slug }, username) {
  await page.goto('/roles');
  const holders = page.getByTestId(`role-${slug}`).getByRole('button', { name: `Holders of ${name}` });
  await holders.waitFor();
  assert((await holders.textContent()).trim() === '1', `holders of ${name}: ${await holders.textContent()}`);
  await holders.click();
  await page.getByRole('list', { name: 'Holders' }).getByText(username, { exact: true }).waitFor();
  await page.keyboard.press('Escape');
}

/** Names of every button, link and row-menu item on the page that reads like a write action. */
async function writeControlsOn(page) {
  const main = page.getByRole('main');
  const names = async (locator) =>
    locator.evaluateAll((elements) =>
      elements
        .filter((element) => element.getClientRects().length > 0)
        .map((element) => (element.getAttribute('aria-label') || element.textContent || '').trim()),
    );
  const found = [...(await names(main.locator('button, a, [role="button"]')))];
  const triggers = main.getByRole('button', { name: /^Actions for/ });
  for (let i = 0; i < (await triggers.count()); i += 1) {
    await triggers.nth(i).click();
    found.push(...(await names(page.getByRole('menuitem'))).map((item) => `menu: ${item}`));
    await page.keyboard.press('Escape');
  }
  return found.filter((name) => WRITE_CONTROL.test(name.replace(/^menu: /, '')));
}

/**
 * Every page in the viewer's navigation (and any extra path, such as a group's detail): data
 * loads and no write control is shown. Settings keeps the viewer's own self-service controls.
 */
export async function viewerSeesNoWriteControls(page, { extraPaths = [], expectTitles = [] } = {}) {
  await page.goto('/settings');
  const nav = page.getByRole('navigation', { name: 'Main' }).first();
  await nav.getByRole('link').first().waitFor();
  const hrefs = await nav.getByRole('link').evaluateAll((links) => links.map((link) => link.getAttribute('href')));
  const titles = await nav.getByRole('link').allTextContents();
  for (const title of expectTitles)
    assert(titles.includes(title), `the viewer's menu lacks ${title}: ${titles.join(', ')}`);
  const problems = [];
  for (const path of [...hrefs, ...extraPaths]) {
    await page.goto(path);
    await settle(page);
    assert((await page.getByTestId('not-allowed').count()) === 0, `${path} says "not allowed" to the viewer`);
    const controls = await writeControlsOn(page);
    if (controls.length) problems.push(`${path}: ${controls.join(', ')}`);
    if (path !== '/settings') {
      const forms = await page
        .locator('main form')
        .evaluateAll((list) => list.filter((f) => f.getClientRects().length).length);
      if (forms) problems.push(`${path}: ${forms} form(s)`);
    }
  }
  assert(problems.length === 0, `write controls shown to a read-only role:\n${problems.join('\n')}`);
  return hrefs;
}

/** Settings → Security: password, QR code and secret, a code, ten recovery codes. */
export async function enrolTotp(page, password, { screenshot } = {}) {
  await page.goto('/settings');
  await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  const start = page.getByRole('form', { name: 'Set up two-factor sign-in' });
  await start.getByLabel('Current password').fill(password);
  await start.getByRole('button', { name: 'Continue' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent()).replace(/\s+/g, '');
  const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
  await qr.waitFor();
  assert((await qr.getAttribute('src')).startsWith('data:image/png;base64,'), 'the QR code is not drawn');
  if (screenshot) await screenshot('qr');
  const usedAt = Date.now();
  await page.getByLabel('Code from the app').fill(totpCode(secret, usedAt));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('list', { name: 'Recovery codes' }).waitFor();
  const codes = (await page.getByTestId('recovery-code').allTextContents()).map((c) => c.trim());
  assert(codes.length === 10 && new Set(codes).size === 10, `recovery codes shown: ${codes.length}`);
  if (screenshot) await screenshot('recovery-codes');
  await page.getByRole('button', { name: 'I saved my codes' }).click();
  await page.getByText('2FA on').waitFor();
  return { secret, codes, usedAt };
}

export async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.waitForURL('**/login');
}

/** Password, then the code step: a fresh TOTP code (or a recovery code). */
export async function signInWithSecondFactor(page, { username, password, secret, recoveryCode, usedAt, screenshot }) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const step = page.getByRole('form', { name: 'Two-factor sign-in' });
  await step.waitFor();
  if (screenshot) await screenshot();
  if (recoveryCode) {
    await step.getByRole('button', { name: 'Use a recovery code' }).click();
    await step.getByLabel('Recovery code').fill(recoveryCode);
  } else {
    await nextTimeStep(usedAt);
    await step.getByLabel('Authentication code').fill(totpCode(secret));
  }
  await step.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL('**/overview');
  return Date.now();
}

/** One 403 through the API, so the audit log has an authz.denied row from a known actor. */
export async function deniedThroughApi(stack, { username, password }) {
  const session = new ApiSession(stack.apiUrl, stack.webUrl);
  await session.login(username, password);
  const refused = await session.request('GET', '/api/audit-events').then(
    () => false,
    (error) => /HTTP 403/.test(error.message),
  );
  assert(refused, `${username} was not refused the audit log`);
}

const auditRows = (page) => page.getByTestId('audit-row');

async function actionsShown(page) {
  return page.getByTestId('audit-row').locator('td:nth-child(3)').allTextContents();
}

/** The Audit page: earlier steps' events, a filter, the detail drawer, the export and the chain check. */
export async function auditPageWorks(page, { expectActions, screenshot }) {
  await page.goto('/audit');
  await auditRows(page).first().waitFor();
  let shown = await actionsShown(page);
  for (const action of expectActions)
    assert(shown.includes(action), `no ${action} event listed; saw ${[...new Set(shown)].join(', ')}`);
  if (screenshot) await screenshot('audit');

  await page.getByLabel('Action', { exact: true }).selectOption('role.create');
  await page.waitForFunction(
    () => {
      const cells = [...document.querySelectorAll('[data-testid="audit-row"] td:nth-child(3)')];
      return cells.length > 0 && cells.every((cell) => cell.textContent.trim() === 'role.create');
    },
    null,
    { timeout: 10_000 },
  );
  shown = await actionsShown(page);
  const href = await page.getByRole('link', { name: 'Export NDJSON' }).getAttribute('href');
  assert(href.includes('action=role.create'), `the export link ignores the filter: ${href}`);
  const exported = await page.request.get(href);
  assert(exported.ok(), `export answered HTTP ${exported.status()}`);
  const lines = (await exported.text())
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  assert(lines.length === shown.length, `export has ${lines.length} lines, the page ${shown.length} rows`);
  assert(
    lines.every((line) => line.action === 'role.create'),
    'the export has events of other actions',
  );

  await auditRows(page)
    .first()
    .getByRole('button', { name: /^Details of/ })
    .click();
  const drawer = page.getByRole('dialog');
  await drawer.getByRole('table', { name: 'Changes' }).waitFor();
  assert(/permissions/.test(await drawer.textContent()), 'the role.create detail does not show the permissions');
  if (screenshot) await screenshot('audit-detail');
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await page.getByText('Chain intact').waitFor();
  const verdict = await page.getByText(/events checked/).textContent();
  assert(/^\d+ events checked/.test(verdict.trim()) && !/^0 /.test(verdict.trim()), `verify said: ${verdict}`);
}

/** authz.denied rows are written in batches: reload the denied filter until one names `username`. */
export async function deniedEventListed(page, username) {
  const deadline = Date.now() + 20_000;
  await page.goto('/audit');
  await page.getByLabel('Outcome', { exact: true }).selectOption('denied');
  for (;;) {
    const rows = await auditRows(page).allTextContents();
    if (rows.some((row) => row.includes('authz.denied') && row.includes(username))) return;
    if (Date.now() > deadline) throw new Error(`no authz.denied event for ${username}; rows: ${rows.join(' | ')}`);
    await page.waitForTimeout(1000);
    await page.reload();
    await page.getByLabel('Outcome', { exact: true }).selectOption('denied');
    await auditRows(page)
      .first()
      .waitFor({ timeout: 2000 })
      .catch(() => {});
  }
}

/** Users → Reset 2FA on someone else; their open session ends. */
export async function adminResetsTotp(admin, victim, username) {
  await admin.goto('/users');
  await admin.getByRole('button', { name: `Actions for ${username}` }).click();
  await admin.getByRole('menuitem', { name: 'Reset 2FA' }).click();
  await admin.getByRole('dialog').getByRole('button', { name: 'Reset 2FA' }).click();
  await admin.getByText(`Two-factor sign-in reset for ${username}`).waitFor();
  await victim.goto('/overview');
  await victim.waitForURL('**/login');
}
