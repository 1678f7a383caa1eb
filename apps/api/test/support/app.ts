// Boots the real application (real Postgres, real HTTP on an ephemeral port) for a spec file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp, type CodexLbApp } from '../../src/app.factory';
import { loadSettings, type Settings } from '../../src/config/settings';
import { createTestDatabase, type TestDatabase } from './database';

export const ADMIN_PASSWORD = 'admin-password-1';
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
export const DASHBOARD_ORIGIN = 'http://localhost:3000';

export interface TestApp {
  instance: CodexLbApp;
  settings: Settings;
  url: string;
  db: TestDatabase | null;
  banner: string[];
  http(): request.Agent;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** Reuse a database (for restart and concurrent-start cases). */
  db?: TestDatabase;
  embedded?: boolean;
  /** Where the server listens (127.0.0.1 unless a spec needs other interfaces); url stays loopback. */
  listenHost?: string;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.embedded ? null : (options.db ?? (await createTestDatabase()));
  const dataDir = mkdtempSync(join(tmpdir(), 'codex-lb-test-'));
  const settings = loadSettings({
    CODEX_LB_DATA_DIR: dataDir,
    CODEX_LB_DATABASE_URL: db?.url,
    CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    CODEX_LB_LOG_LEVEL: 'error',
    CODEX_LB_HOST: '127.0.0.1',
    CODEX_LB_USAGE_POLL_INTERVAL_SECONDS: '0',
    // One key for every test app, so restarts on one database see the same vault.
    CODEX_LB_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ...options.env,
  });
  const banner: string[] = [];
  const instance = await createApp(settings, { banner: (text) => banner.push(text) });
  await instance.app.listen(0, options.listenHost ?? '127.0.0.1');
  const address = instance.app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    instance,
    settings,
    url,
    db,
    banner,
    http: () => request.agent(url),
    async close() {
      await instance.close();
      if (!options.db) await db?.drop();
    },
  };
}

export function sessionCookie(response: request.Response): string {
  const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const cookie = cookies.find((value) => value.startsWith('codex_lb_session='));
  if (!cookie) throw new Error(`no session cookie in response ${response.status}`);
  return cookie.split(';')[0];
}

export async function login(app: TestApp, username: string, password: string): Promise<string> {
  const response = await request(app.url)
    .post('/api/dashboard-auth/password/login')
    .send({ username, password })
    .expect(200);
  return sessionCookie(response);
}

/** Creates a user as admin and returns a session cookie for them (password already changed). */
export async function createUserSession(
  app: TestApp,
  adminCookie: string,
  username: string,
  role: 'admin' | 'user' = 'user',
): Promise<{ id: string; cookie: string; password: string }> {
  const initial = `${username}-initial-pw`;
  const created = await request(app.url)
    .post('/api/users')
    .set('cookie', adminCookie)
    .send({ username, password: initial, role })
    .expect(201);
  const first = await login(app, username, initial);
  const password = `${username}-final-pw`;
  const changed = await request(app.url)
    .post('/api/dashboard-auth/password/change')
    .set('cookie', first)
    .send({ currentPassword: initial, newPassword: password })
    .expect(200);
  return { id: created.body.id, cookie: sessionCookie(changed), password };
}
