// Groups in the browser: a user makes a group, adds a teammate, shares an account into it,
// attaches a key, and finds that key's request in the group's usage.
import { assert } from '../lib/harness.mjs';

/** Creates a group from the Groups page; returns its id (the page moves to the group). */
export async function createGroup(page, name, slug) {
  await page.goto('/groups');
  await page.getByRole('button', { name: 'New group' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Group name').fill(name);
  const proposed = await dialog.getByLabel('Slug').inputValue();
  assert(proposed === slug, `the slug proposed for "${name}" is "${proposed}", expected "${slug}"`);
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await page.waitForURL(/\/groups\/[^/]+$/);
  await page.getByRole('heading', { level: 1, name }).waitFor();
  const members = page.getByRole('table', { name: 'Members' });
  await members.getByText('Owner').or(members.getByRole('combobox')).first().waitFor();
  return new URL(page.url()).pathname.split('/').pop();
}

/** Adds a member by user id (what a group owner who is not an admin has). */
export async function addMemberById(page, { principalId, username, role = 'member' }) {
  await page.getByRole('button', { name: 'Add member' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('User id').fill(principalId);
  await dialog.getByRole('radio', { name: new RegExp(`^${role}`, 'i') }).check();
  await dialog.getByRole('button', { name: 'Add member' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const row = page.getByRole('table', { name: 'Members' }).locator('tr', { hasText: username });
  await row.waitFor();
  const shown = await row.getByRole('combobox').inputValue();
  assert(shown === role, `${username} shows as ${shown}, expected ${role}`);
}

/** The impact preview opens before a removal; cancelling keeps the member. */
export async function previewRemoval(page, username) {
  const row = page.getByRole('table', { name: 'Members' }).locator('tr', { hasText: username });
  const impact = page.waitForResponse((r) => /\/api\/groups\/[^/]+\/impact/.test(new URL(r.url()).pathname));
  await row.getByRole('button', { name: 'Remove' }).click();
  const answer = await impact;
  assert(answer.status() === 200, `the impact preview answered ${answer.status()}`);
  const dialog = page.getByRole('dialog');
  await dialog
    .getByTestId('impact-preview')
    .getByText(/No key loses any account|will lose accounts/)
    .waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await row.waitFor();
}

/** Shares the user's account into the group from the group's pool card. */
export async function shareAccountIntoGroup(page, email) {
  await page.getByRole('button', { name: 'Share an account' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Account', { exact: true }).selectOption({ label: email });
  await dialog.getByRole('button', { name: 'Share account' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const row = page.getByRole('table', { name: 'Pool' }).locator('tr', { hasText: email });
  await row.getByText('Shared by you').waitFor();
}

/** Creates a key attached to the group; returns its secret. */
export async function createGroupKey(page, name, groupName) {
  await page.goto('/api-keys');
  await page.getByRole('button', { name: 'New API key' }).first().click();
  const form = page.getByRole('dialog');
  await form.getByLabel('Name').fill(name);
  await form.getByRole('checkbox', { name: new RegExp(groupName) }).check();
  await form.getByRole('button', { name: 'Create key' }).click();
  const secret = page.getByTestId('api-key-secret');
  await secret.waitFor();
  const key = (await secret.textContent()).trim();
  assert(key.startsWith('sk-clb-'), 'the new key does not look like a key');
  await page.getByRole('button', { name: 'I have saved the key' }).click();
  const row = page.locator('tbody tr', { hasText: name });
  await row.getByText(`Groups: ${groupName}`).waitFor();
  return key;
}

/** The key's explainer lists the shared account as usable through the group. */
export async function explainKey(page, keyName, { email, groupName }) {
  const row = page.locator('tbody tr', { hasText: keyName });
  await row.getByRole('button', { name: `Actions for key ${keyName}` }).click();
  await row.getByRole('menuitem', { name: 'Accounts it may use' }).click();
  const drawer = page.getByRole('dialog');
  const item = drawer.getByRole('list', { name: 'Effective accounts' }).locator('li', { hasText: email });
  await item.waitFor();
  await item.getByText('Usable').waitFor();
  const via = await item.textContent();
  assert(/own account|group/i.test(via), `the explainer says "${via}"`);
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'hidden' });
  return groupName;
}

/** Usage is rolled up off the request path: reload the group's page until its chart counts it. */
export async function waitForGroupUsage(page, groupId, name, timeoutMs = 30_000) {
  // Logs are written in batches: reload until the chart names the key's series.
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  for (;;) {
    await page.goto(`/groups/${groupId}`);
    const chart = page.locator('[role="img"][aria-label^="Usage chart"]');
    try {
      await chart.waitFor({ timeout: 5000 });
      const label = await chart.getAttribute('aria-label');
      seen = await chart.innerText();
      if (/Usage chart, [1-9]/.test(label) && (await chart.getByText(name).count()) > 0) return label;
    } catch {
      // Not drawn yet (no data): try again.
    }
    if (Date.now() > deadline) {
      throw new Error(`the group's usage does not show "${name}" after ${timeoutMs / 1000}s (chart: ${seen})`);
    }
    await page.waitForTimeout(1000);
  }
}
