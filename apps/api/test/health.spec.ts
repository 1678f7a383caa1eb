// Liveness and readiness: /api/health/live answers without the database; /api/health/ready is
// 200 with the writers' report while the database answers, and 503 (same report, database
// unavailable) while it does not, then 200 again once it is back.
import { Client } from 'pg';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/app';
import { ADMIN_DATABASE_URL } from './support/database';

describe('health endpoints', () => {
  let app: TestApp;

  async function sql(text: string, params: unknown[] = []): Promise<void> {
    const client = new Client({ connectionString: ADMIN_DATABASE_URL });
    await client.connect();
    try {
      await client.query(text, params);
    } finally {
      await client.end();
    }
  }

  async function setDatabaseAvailable(available: boolean): Promise<void> {
    const name = app.db!.name;
    await sql(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${available}`);
    if (!available) {
      await sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [name],
      );
    }
  }

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await setDatabaseAvailable(true).catch(() => undefined);
    await app?.close();
  });

  it('is live and ready while the database answers', async () => {
    await request(app.url).get('/api/health/live').expect(200, { status: 'ok' });
    const ready = await request(app.url).get('/api/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      ready: true,
      status: 'ok',
      database: 'ok',
      writers: { requestLogs: expect.objectContaining({ pending: 0 }) },
      deadLetterTable: {},
    });
    await request(app.url).get('/api/health').expect(200);
  });

  it('is not ready while the database is unavailable, stays live, and is ready again after', async () => {
    await setDatabaseAvailable(false);
    try {
      const started = Date.now();
      const ready = await request(app.url).get('/api/health/ready').expect(503);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(ready.body).toMatchObject({ ready: false, database: 'unavailable', deadLetterTable: null });
      expect(Number(ready.headers['retry-after'])).toBeGreaterThan(0);
      await request(app.url).get('/api/health/live').expect(200, { status: 'ok' });
    } finally {
      await setDatabaseAvailable(true);
    }
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await request(app.url).get('/api/health/ready')).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
  });
});
