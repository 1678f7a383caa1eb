import request from 'supertest';
import { loadSettings } from '../src/config/settings';
import { createApp } from '../src/app.factory';
import { createTestDatabase, type TestDatabase } from './support/database';
import { login, startTestApp } from './support/app';

describe('bootstrap admin', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(() => db.drop());

  const admins = async (app: { instance: { dataSource: { query: (sql: string) => Promise<unknown[]> } } }) =>
    app.instance.dataSource.query(
      `SELECT username, password_hash, must_change_password FROM dashboard_users WHERE role = 'admin'`,
    ) as Promise<{ username: string; password_hash: string; must_change_password: boolean }[]>;

  it('uses the configured password, stores only its bcrypt hash, and creates nothing on restart', async () => {
    const first = await startTestApp({ db, env: { CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: 'configured-pass-1' } });
    try {
      const rows = await admins(first);
      expect(rows).toHaveLength(1);
      expect(rows[0].password_hash).toMatch(/^\$2[aby]\$12\$/);
      expect(rows[0].password_hash).not.toContain('configured-pass-1');
      expect(rows[0].must_change_password).toBe(false);
      expect(first.banner).toEqual([]);
      await login(first, 'admin', 'configured-pass-1');
    } finally {
      await first.close();
    }
    const second = await startTestApp({ db, env: { CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: 'another-pass-22' } });
    try {
      expect(await admins(second)).toHaveLength(1);
      expect(second.instance.bootstrap).toEqual({ created: false });
      await login(second, 'admin', 'configured-pass-1');
    } finally {
      await second.close();
    }
  });

  it('generates a one-time password, shows it once in the banner and forces a change', async () => {
    const app = await startTestApp({ db, env: { CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: undefined } });
    try {
      expect(app.banner).toHaveLength(1);
      const password = /password: (\S+)/.exec(app.banner[0])![1];
      expect(password.length).toBeGreaterThanOrEqual(16);
      const response = await request(app.url)
        .post('/api/dashboard-auth/password/login')
        .send({ username: 'admin', password })
        .expect(200);
      expect(response.body.mustChangePassword).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('refuses to start in production without a configured password, naming the variable', async () => {
    const settings = loadSettings({
      NODE_ENV: 'production',
      CODEX_LB_DATABASE_URL: db.url,
      CODEX_LB_LOG_LEVEL: 'error',
    });
    await expect(createApp(settings, { logger: false })).rejects.toThrow(/CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD/);
  });

  it('creates exactly one admin when two instances start at once on an empty database', async () => {
    const [a, b] = await Promise.all([
      startTestApp({ db, env: { CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: 'concurrent-pass-1' } }),
      startTestApp({ db, env: { CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: 'concurrent-pass-2' } }),
    ]);
    try {
      expect(await admins(a)).toHaveLength(1);
      const created = [a.instance.bootstrap.created, b.instance.bootstrap.created].filter(Boolean);
      expect(created).toHaveLength(1);
      const migrations = (await a.instance.dataSource.query('SELECT name FROM migrations')) as unknown[];
      expect(migrations.length).toBeGreaterThan(0);
      expect(new Set(migrations.map((m) => (m as { name: string }).name)).size).toBe(migrations.length);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('settings', () => {
  it('stops on a bad value with a message naming the variable', () => {
    expect(() => loadSettings({ CODEX_LB_PORT: 'eighty' })).toThrow(/CODEX_LB_PORT/);
    expect(() => loadSettings({ CODEX_LB_DATABASE_URL: 'mysql://x' })).toThrow(/CODEX_LB_DATABASE_URL/);
    expect(() => loadSettings({ CODEX_LB_ENCRYPTION_KEY: 'short' })).toThrow(/CODEX_LB_ENCRYPTION_KEY/);
    expect(() => loadSettings({ CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: 'short' })).toThrow(
      /CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD/,
    );
    expect(() => loadSettings({ CODEX_LB_DASHBOARD_ORIGINS: 'localhost:3000' })).toThrow(/CODEX_LB_DASHBOARD_ORIGINS/);
    expect(loadSettings({}).port).toBe(2455);
  });
});
