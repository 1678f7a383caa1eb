// Who sees what: a user sees only their own rows and no admin pages; an admin sees everyone's
// rows and narrows them with the owner filter.
import { assert } from '../lib/harness.mjs';

// Rows only: filter selects list key and account names as <option>s, which are not rows.
const rows = (page) => page.locator('table tbody');

async function absent(page, text, where) {
  const count = await rows(page).getByText(text).count();
  assert(count === 0, `"${text}" is listed on ${where}`);
}

async function visible(page, text) {
  await rows(page).getByText(text).first().waitFor();
}

export async function userSeesNoUsersPage(page) {
  await page.goto('/overview');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Accounts', exact: true }).waitFor();
  assert((await nav.getByRole('link', { name: 'Users' }).count()) === 0, 'the Users nav item is shown to a user');
  await page.goto('/users');
  const notAllowed = page.getByTestId('not-allowed');
  await notAllowed.waitFor();
  assert(/not allowed/i.test(await notAllowed.textContent()), 'the /users page does not say "not allowed"');
}

/** `mine` must show on each page and `theirs` must not. */
export async function userSeesOnlyOwnRows(page, { mine, theirs, theirAccountId }) {
  await page.goto('/accounts');
  await visible(page, mine.email);
  await absent(page, theirs.email, '/accounts');
  await page.goto('/api-keys');
  await visible(page, mine.keyName);
  await absent(page, theirs.keyName, '/api-keys');
  await page.goto('/request-logs');
  await visible(page, mine.keyName);
  await absent(page, theirs.keyName, '/request-logs');
  // Through the dashboard's own /api proxy with this user's cookie: another owner's object is
  // answered exactly like a missing one.
  const response = await page.request.get(`/api/accounts/${theirAccountId}`);
  assert(response.status() === 404, `GET another user's account answered ${response.status()}, expected 404`);
}

/** On `path`, every text in `all` shows; choosing `owner` leaves only `onlyTheirs` of them. */
async function filterByOwner(page, path, { all, owner, onlyTheirs }) {
  await page.goto(path);
  for (const text of all) await visible(page, text);
  // The filter is <label><span>Owner</span><select/></label>; its accessible name also holds the
  // chosen option, so find it by the label's own text.
  const select = page
    .locator('label')
    .filter({ has: page.locator('span', { hasText: /^Owner$/ }) })
    .locator('select');
  await select.locator('option', { hasText: owner }).first().waitFor({ state: 'attached' });
  await select.selectOption({ label: owner });
  for (const text of all) {
    if (onlyTheirs.includes(text)) continue;
    await rows(page)
      .getByText(text)
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => {
        throw new Error(`"${text}" still shows on ${path} with owner ${owner} chosen`);
      });
  }
  for (const text of onlyTheirs) await visible(page, text);
}

export async function adminSeesBothAndFilters(page, { alice, bob }) {
  await filterByOwner(page, '/accounts', {
    all: [alice.email, bob.email],
    owner: bob.username,
    onlyTheirs: [bob.email],
  });
  await filterByOwner(page, '/api-keys', {
    all: [alice.keyName, bob.keyName],
    owner: bob.username,
    onlyTheirs: [bob.keyName],
  });
  await filterByOwner(page, '/request-logs', {
    all: [alice.keyName, bob.keyName],
    owner: alice.username,
    onlyTheirs: [alice.keyName],
  });
}
