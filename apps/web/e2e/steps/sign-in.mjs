// Signing in and the forced first password change, as people do it in the browser.
import { assert } from '../lib/harness.mjs';

/** Which control has focus, in words a failure message can show. */
const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    if (el.tagName === 'BUTTON') return `button "${el.textContent.trim()}"`;
    return el.getAttribute('name') ?? el.tagName.toLowerCase();
  });

/** Tab from the top of the page reaches username, password and the submit button, in that order. */
export async function checkLoginTabOrder(page) {
  await page.goto('/login');
  await page.getByLabel('Username').waitFor();
  // A click on empty page space moves the sequential focus starting point to the top (a blur
  // would leave it on the autofocused username field).
  await page.mouse.click(1, 1);
  const order = [];
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press('Tab');
    order.push(await focused(page));
  }
  const at = (name) => order.indexOf(name);
  const ok =
    at('username') >= 0 && at('password') === at('username') + 1 && at('button "Sign in"') === at('password') + 1;
  assert(ok, `Tab order was: ${order.join(' → ')}`);
}

/** Signs in with the keyboard only: type, Tab, type, Enter. */
export async function signInWithKeyboard(page, username, password) {
  await page.goto('/login');
  await page.getByLabel('Username').focus();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

export async function signIn(page, username, password) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function changeFirstPassword(page, current, next) {
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password', { exact: true }).fill(next);
  await page.getByLabel('Confirm new password').fill(next);
  await page.getByRole('button', { name: 'Save and continue' }).click();
}
