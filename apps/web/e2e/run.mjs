#!/usr/bin/env node
// Browser tests for the dashboard (issue 8): the real API on a fresh Postgres database, the fake
// ChatGPT upstream, the built dashboard, and Debian's Chromium.
//
//   node apps/web/e2e/run.mjs [--report=path.json] [--rebuild]
//
// TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) is the maintenance
// database a codexlb_e2e_<random> database is created from and dropped through. Screenshots of
// every page, for both roles, at 1280 and 390 px land in apps/web/e2e/screenshots/.
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './lib/build.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { createDatabase } from './lib/database.mjs';
import { createHarness } from './lib/harness.mjs';
import { killAllNow, stopAll } from './lib/processes.mjs';
import { startStack } from './lib/stack.mjs';
import { runScenario } from './scenario.mjs';

const webRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(webRoot, '../..');
const args = process.argv.slice(2);
const reportArg = args.find((a) => a.startsWith('--report='));
const reportPath = reportArg ? resolve(reportArg.slice('--report='.length)) : null;
const baseDbUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const harness = createHarness();
const resources = { database: null, browser: null };
let cleaning = null;

async function cleanUp() {
  cleaning ??= (async () => {
    await resources.browser?.close().catch(() => {});
    await stopAll();
    await resources.database
      ?.drop()
      .catch((error) => console.error(`  could not drop ${resources.database.name}: ${error.message}`));
  })();
  return cleaning;
}

function finish() {
  const summary = harness.summary();
  if (reportPath) writeFileSync(reportPath, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`\n${summary.passed} passed, ${summary.failed} failed`);
  return summary.failed === 0 ? 0 : 1;
}

// Ctrl-C or a CI timeout: stop every server we started before going, and still report.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (cleaning) return;
    console.error(`\n${signal}: stopping the servers this run started`);
    harness.abort(`not run: ${signal}`);
    cleanUp().finally(() => {
      finish();
      process.exit(130);
    });
  });
}
process.on('exit', killAllNow);

async function main() {
  const started = Date.now();
  console.log('Browser tests');
  const stack = await harness.step('build and start the fake upstream, API and dashboard', async () => {
    ensureBuilt(root, { force: args.includes('--rebuild') });
    resources.database = await createDatabase(baseDbUrl);
    return startStack({ root, databaseUrl: resources.database.url });
  });
  if (stack) {
    resources.browser = await harness.step('launch Chromium', () => launchBrowser());
    if (resources.browser) await runScenario({ harness, stack, browser: resources.browser, webRoot });
  }
  await cleanUp();
  console.log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return finish();
}

main().then(
  (code) => process.exit(code),
  async (error) => {
    console.error(error);
    await cleanUp();
    finish();
    process.exit(1);
  },
);
