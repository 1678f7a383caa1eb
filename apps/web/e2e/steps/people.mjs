// Users and their data. The first user is made in the browser (that is under test); the second
// one, with an imported account, a key and one request, through the API (that is setup).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiSession, chatThroughProxy, newFakeSeat } from '../lib/api-client.mjs';

export async function createUserInBrowser(page, username, password) {
  await page.goto('/users');
  await page.getByRole('button', { name: 'New user' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Username').fill(username);
  await dialog.getByLabel('First password').fill(password);
  await dialog.getByRole('button', { name: 'Create user' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.locator('table').getByText(username, { exact: true }).waitFor();
}

/** A complete second user: password changed, one account, one key, one proxied request. */
export async function secondUserThroughApi(
  stack,
  { adminPassword, username, firstPassword, password, email, keyName },
) {
  const admin = new ApiSession(stack.apiUrl, stack.webUrl);
  await admin.login('admin', adminPassword);
  const user = await admin.request('POST', '/api/users', { username, password: firstPassword, role: 'user' });

  const session = new ApiSession(stack.apiUrl, stack.webUrl);
  await session.login(username, firstPassword);
  await session.request('POST', '/api/dashboard-auth/password/change', {
    currentPassword: firstPassword,
    newPassword: password,
  });
  const seat = await newFakeSeat(stack.fakeBase, email);
  const account = await session.request('POST', '/api/accounts/import', seat.authJson);
  const { key, apiKey } = await session.request('POST', '/api/api-keys', { name: keyName });
  return { user, account, apiKey, key };
}

export async function requestWithKey(stack, key, text) {
  const answer = await chatThroughProxy(stack.apiUrl, key, text);
  const content = answer?.choices?.[0]?.message?.content ?? '';
  if (!content) throw new Error(`the proxy answered without a message: ${JSON.stringify(answer).slice(0, 300)}`);
  return answer;
}

/** The auth.json Codex CLI would have written for a new fake seat, as a file to upload. */
export async function authJsonFile(stack, email) {
  const seat = await newFakeSeat(stack.fakeBase, email);
  const path = join(stack.work, `auth-${seat.chatgptAccountId ?? Date.now()}.json`);
  writeFileSync(path, JSON.stringify(seat.authJson, null, 2), { mode: 0o600 });
  return path;
}
