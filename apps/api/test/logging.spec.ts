// Logs as JSON lines on the real app: every Nest log call is one JSON object a line; a dashboard
// request's line carries the request id the client got back as x-request-id, and its path
// without the query string; a failed query logs its SQLSTATE and SQL text, never its parameters
// (a password hash in a unique violation, a secret in a data exception's message).
import { Logger } from '@nestjs/common';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp, type CodexLbApp } from '../src/app.factory';
import { createLogger } from '../src/common/logging/json-logger';
import { requestContextActive, runWithRequestContext } from '../src/common/request-context';
import { loadSettings } from '../src/config/settings';
import { ADMIN_PASSWORD, login, TEST_ENCRYPTION_KEY, type TestApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';

const SECRET_HASH = '$2b$12$Zm9vYmFyc2VjcmV0aGFzaGVkcGFzc3dvcmRzZWNyZXQxMjM0NTY';
const SECRET_TOKEN = 'sk-clb-secret-parameter-4d1f8c2b9e';
const QUERY_SECRET = 'query-secret-c0ffee';

describe('JSON logs', () => {
  const lines: string[] = [];
  let db: TestDatabase;
  let instance: CodexLbApp;
  let url: string;

  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    db = await createTestDatabase();
    const settings = loadSettings({
      CODEX_LB_DATA_DIR: mkdtempSync(join(tmpdir(), 'codex-lb-test-')),
      CODEX_LB_DATABASE_URL: db.url,
      CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CODEX_LB_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      CODEX_LB_USAGE_POLL_INTERVAL_SECONDS: '0',
      CODEX_LB_LOG_FORMAT: 'json',
      CODEX_LB_LOG_LEVEL: 'log',
    });
    expect(settings.logFormat).toBe('json');
    const logger = createLogger(settings, {
      write: (chunk: string) => {
        for (const line of chunk.split('\n')) if (line) lines.push(line);
      },
    });
    // As main.ts does: lines logged before Nest is up go through it too.
    Logger.overrideLogger(logger);
    instance = await createApp(settings, { logger, banner: () => undefined });
    await instance.app.listen(0, '127.0.0.1');
    const address = instance.app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await instance?.close();
    await db?.drop();
  });

  it('writes every line as one JSON object with level, time, context and message', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const entry of entries()) {
      expect(entry).toEqual(
        expect.objectContaining({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) }),
      );
      expect(Number.isNaN(Date.parse(entry.time as string))).toBe(false);
    }
    expect(entries().some((e) => e.context === 'NestApplication' || e.context === 'RoutesResolver')).toBe(true);
    expect(entries().some((e) => e.context === 'Bootstrap')).toBe(true);
  });

  it('logs each dashboard request with the request id its client got back, without the query string', async () => {
    const app = { url } as TestApp;
    const cookie = await login(app, 'admin', ADMIN_PASSWORD);
    const response = await request(url).get('/api/users?limit=5').set('cookie', cookie).expect(200);
    const requestId = response.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const line = entries().find((e) => e.reqId === requestId && e.context === 'HTTP');
    expect(line).toMatchObject({
      level: 'info',
      method: 'GET',
      path: '/api/users',
      status: 200,
      msg: 'GET /api/users 200',
      durationMs: expect.any(Number),
    });
    const refused = await request(url).get(`/api/users?token=${QUERY_SECRET}`).set('cookie', cookie).expect(400);
    expect(entries().find((e) => e.reqId === refused.headers['x-request-id'] && e.context === 'HTTP')).toMatchObject({
      path: '/api/users',
      status: 400,
    });
    // Ids are per request; a client's own x-request-id is not taken.
    const other = await request(url).get('/api/users').set('cookie', cookie).set('x-request-id', 'chosen-by-client');
    expect(other.headers['x-request-id']).not.toBe(requestId);
    expect(other.headers['x-request-id']).not.toBe('chosen-by-client');
    expect(lines.join('\n')).not.toContain(QUERY_SECRET);
    expect(lines.join('\n')).not.toContain('chosen-by-client');
    // Each request's context closed with its response: between requests the storage, and the
    // async hooks it needs on Node 20, are off (the proxy's requests do not pay for them).
    for (let i = 0; i < 50 && requestContextActive(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(requestContextActive()).toBe(false);
  });

  it('logs a failed query by its SQLSTATE and SQL, never its parameters', async () => {
    const dataSource = instance.dataSource;
    const context = { requestId: 'req-failed-query', ip: null, userAgent: null, method: 'POST', path: '/x' };
    const before = lines.length;
    // A unique violation whose parameters are a username and a password hash.
    await expect(
      runWithRequestContext(context, () =>
        dataSource.query(
          `INSERT INTO dashboard_users (username, password_hash, role, must_change_password) VALUES ($1, $2, 'user', false)`,
          ['ADMIN', SECRET_HASH],
        ),
      ),
    ).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '23505' }) });
    // A data exception: Postgres quotes the offending parameter in the message itself.
    const failed = await runWithRequestContext(context, () =>
      dataSource.query('SELECT id FROM dashboard_users WHERE id = $1', [SECRET_TOKEN]),
    ).catch((error: Error) => error);
    expect(failed).toMatchObject({ name: 'QueryFailedError', message: expect.stringContaining(SECRET_TOKEN) });
    // The error as the exception filter logs an unexpected one: its stack, and as an object.
    new Logger('Errors').error('request req-failed-query failed', (failed as Error).stack);
    new Logger('Errors').error(failed);

    const logged = lines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    const errors = logged.filter((e) => e.context === 'Errors');
    expect(errors).toHaveLength(2);
    expect(errors[0].stack).toMatch(/^QueryFailedError: the query failed .*\n\s+at /);
    expect(errors[1].err).toMatchObject({ type: 'QueryFailedError', stack: expect.stringContaining('\n') });
    const failures = logged.filter((e) => e.context === 'Database');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({
      level: 'warn',
      reqId: 'req-failed-query',
      code: '23505',
      sql: expect.stringContaining('INSERT INTO dashboard_users'),
    });
    expect(failures[1]).toMatchObject({
      level: 'warn',
      reqId: 'req-failed-query',
      code: '22P02',
      message: 'invalid input syntax for type uuid',
    });
    const text = lines.join('\n');
    for (const secret of [SECRET_HASH, SECRET_HASH.slice(7, 30), SECRET_TOKEN, 'ADMIN']) {
      expect(text).not.toContain(secret);
    }
  });
});
