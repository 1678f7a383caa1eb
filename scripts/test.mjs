// `npm test`: the whole suite. API unit and integration specs (each integration file on its own
// fresh Postgres database, files in parallel), dashboard component tests, then browser tests
// against the real API and dashboard. Ends with one "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'codex-lb-test-'));
const env = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: '1',
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
};
const only = process.argv[2];
let passed = 0;
let failed = 0;
let ok = true;

function step(name, command, args, options = {}) {
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...env, ...options.env } });
  if (result.status !== 0) ok = false;
  return result.status === 0;
}

function jest(name, config, extraEnv = {}) {
  const report = join(out, `${name}.json`);
  step(
    name,
    process.execPath,
    [join(root, 'node_modules/jest/bin/jest.js'), '-c', config, '--maxWorkers=2', '--json', `--outputFile=${report}`],
    {
      env: extraEnv,
    },
  );
  if (existsSync(report)) {
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    passed += summary.numPassedTests;
    failed += summary.numFailedTests + summary.numRuntimeErrorTestSuites;
  } else {
    failed += 1;
  }
}

if (!step('build shared types', 'npm', ['run', 'build', '-w', '@codex-lb/shared'])) process.exit(1);

if (!only && existsSync(join(root, 'apps/web/e2e/lib/build.mjs'))) {
  // The full run builds the dashboard first (the browser tests reuse the build): the API's
  // login-abuse spec then also runs its case through the real dashboard in front of the API.
  console.log('\n=== build ===');
  const { ensureBuilt } = await import('../apps/web/e2e/lib/build.mjs');
  try {
    ensureBuilt(root);
  } catch (error) {
    console.log(`The build failed; the browser tests will report it.\n${error.message}`);
  }
}
if (!only || only === 'api') {
  jest('api', 'apps/api/jest.config.js', {
    NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim(),
  });
}
if ((!only || only === 'web') && existsSync(join(root, 'apps/web/jest.config.js'))) {
  jest('web', 'apps/web/jest.config.js');
}
if ((!only || only === 'e2e') && existsSync(join(root, 'apps/web/e2e/run.mjs'))) {
  const report = join(out, 'e2e.json');
  step('browser tests', process.execPath, ['apps/web/e2e/run.mjs', `--report=${report}`]);
  if (existsSync(report)) {
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    passed += summary.passed;
    failed += summary.failed;
  } else {
    failed += 1;
  }
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(ok && failed === 0 ? 0 : 1);
