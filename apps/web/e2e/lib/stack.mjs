// The real system under test: fake ChatGPT upstream, API on a fresh database, dashboard.
// Ports are free ones picked at start, so runs never collide with a developer's own servers.
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, waitForHttp, waitForOutput } from './processes.mjs';

export const ADMIN_PASSWORD = 'e2e-admin-password';

export async function startStack({ root, databaseUrl, log = console.log }) {
  const work = mkdtempSync(join(tmpdir(), 'codex-lb-e2e-'));
  const [fakePort, apiPort, webPort] = [await freePort(), await freePort(), await freePort()];
  const node = process.execPath;
  const baseEnv = { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' };

  const fake = startProcess(
    'fake-upstream',
    node,
    ['apps/api/dist/fake-upstream/main.js', '--port', String(fakePort)],
    {
      cwd: root,
      env: baseEnv,
      logDir: work,
    },
  );
  const [, fakeBase] = await waitForOutput(fake, /listening on (http:\/\/\S+)/);

  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const webUrl = `http://127.0.0.1:${webPort}`;
  const api = startProcess('api', node, ['apps/api/dist/main.js'], {
    cwd: root,
    env: {
      ...baseEnv,
      CODEX_LB_PORT: String(apiPort),
      CODEX_LB_HOST: '127.0.0.1',
      CODEX_LB_DATABASE_URL: databaseUrl,
      CODEX_LB_DATA_DIR: join(work, 'data'),
      CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CODEX_LB_AUTH_BASE_URL: fakeBase,
      CODEX_LB_UPSTREAM_BASE_URL: `${fakeBase}/backend-api`,
      CODEX_LB_OAUTH_CALLBACK_PORT: '0',
      CODEX_LB_DASHBOARD_ORIGINS: webUrl,
      // Quotas are polled on demand only: a poll mid-test would make screenshots and counts drift.
      CODEX_LB_USAGE_POLL_INTERVAL_SECONDS: '0',
    },
    logDir: work,
  });
  // Resolved like the dashboard would: workspaces hoist next to the root node_modules.
  const nextBin = createRequire(join(root, 'apps/web/package.json')).resolve('next/dist/bin/next');
  // As the start script runs it: client-address.cjs sets each browser's address for the API.
  const preload = join(root, 'apps/web/client-address.cjs');
  const web = startProcess(
    'web',
    node,
    ['--require', preload, nextBin, 'start', '-p', String(webPort), '-H', '127.0.0.1'],
    {
      cwd: join(root, 'apps/web'),
      env: { ...baseEnv, CODEX_LB_API_URL: apiUrl },
      logDir: work,
    },
  );
  await Promise.all([waitForHttp(`${apiUrl}/api/health`, api, 90_000), waitForHttp(`${webUrl}/login`, web, 60_000)]);
  log(`  fake upstream ${fakeBase}, API ${apiUrl}, dashboard ${webUrl}, logs in ${work}`);
  return { work, fakeBase, apiUrl, webUrl, processes: { fake, api, web } };
}
