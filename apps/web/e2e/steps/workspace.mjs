// What a user does in their own workspace: import an account, make a key, find their request.
import { assert } from '../lib/harness.mjs';

export async function importAccount(page, authJsonPath, email) {
  await page.goto('/accounts');
  await page.getByRole('button', { name: 'Add account' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('tab', { name: 'Upload auth.json' }).click();
  await dialog.getByLabel('auth.json file').setInputFiles(authJsonPath);
  await dialog.getByRole('button', { name: 'Import account' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.locator('table').getByText(email).first().waitFor();
}

/** Creates a key, presses "Copy key" and returns what reached the clipboard. */
export async function createAndCopyKey(page, name, { screenshot } = {}) {
  await page.goto('/api-keys');
  await page.getByRole('button', { name: 'New API key' }).first().click();
  const form = page.getByRole('dialog');
  await form.getByLabel('Name').fill(name);
  await form.getByRole('button', { name: 'Create key' }).click();
  const secret = page.getByTestId('api-key-secret');
  await secret.waitFor();
  const shown = (await secret.textContent()).trim();
  await page.getByRole('button', { name: 'Copy key' }).click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  const copied = await page.evaluate(() => window.__copied ?? navigator.clipboard.readText());
  assert(copied.startsWith('sk-clb-'), `copied "${copied.slice(0, 12)}…", expected it to start with sk-clb-`);
  assert(copied === shown, 'the copied value differs from the key shown on screen');
  if (screenshot) await screenshot();
  await page.getByRole('button', { name: 'I have saved the key' }).click();
  await page.locator('table').getByText(name, { exact: true }).waitFor();
  return copied;
}

/** Request logs are written in batches off the request path: reload until the row shows up. */
export async function waitForLogRow(page, text, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.goto('/request-logs');
    const row = page.locator('tbody tr', { hasText: text }).first();
    try {
      await row.waitFor({ timeout: 3000 });
      return row;
    } catch {
      if (Date.now() > deadline) throw new Error(`no request log row with "${text}" after ${timeoutMs / 1000}s`);
    }
  }
}

export async function checkLogDetail(page, row, { model, route }) {
  // The drawer opens with the row's data and falls back to it quietly if the detail call fails,
  // so watch the call itself.
  const detail = page.waitForResponse((response) =>
    /\/api\/request-logs\/[^/?]+$/.test(new URL(response.url()).pathname),
  );
  await row.getByRole('button').first().click();
  const answer = await detail;
  assert(answer.status() === 200, `GET ${new URL(answer.url()).pathname} answered ${answer.status()}`);
  const drawer = page.getByRole('dialog');
  await drawer.getByText(model).waitFor();
  await drawer.getByText(route).waitFor();
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'hidden' });
}

/** The usage chart draws a series for the model used (not the empty state). */
export async function checkUsageChart(page, model) {
  await page.goto('/usage');
  const chart = page.locator('[role="img"][aria-label^="Usage chart"]');
  await chart.waitFor();
  const label = await chart.getAttribute('aria-label');
  assert(/Usage chart, [1-9]/.test(label), `chart says "${label}"`);
  await chart.getByText(model).first().waitFor();
}
