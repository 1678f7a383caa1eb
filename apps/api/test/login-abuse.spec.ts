// Sign-in under abuse, in the shipped topology: the dashboard's server (on loopback) forwards each
// browser's address in X-Forwarded-For and the API trusts that one hop (CODEX_LB_TRUST_PROXY's
// default, loopback). A flood from one client locks out neither another client nor the right
// password from elsewhere; a client that writes its own X-Forwarded-For gets no fresh bucket;
// bcrypt runs a bounded number at a time; passwords bcrypt would cut are refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './support/app';

const LOGIN = '/api/dashboard-auth/password/login';
// The through-the-dashboard case needs a built dashboard (`npm run build`); another built copy of
// apps/web can be named with CODEX_LB_TEST_WEB_DIR.
const WEB_DIR = process.env.CODEX_LB_TEST_WEB_DIR ?? join(__dirname, '../../web');
const CLIENT_ADDRESS_PRELOAD = join(__dirname, '../../web/client-address.cjs');

/** This machine's first non-loopback IPv4 address: a client that does not come from loopback. */
function externalAddress(): string | null {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode})`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`${url} did not answer in ${timeoutMs} ms`);
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('login abuse, shipped topology (the API trusts the dashboard on loopback)', () => {
  let app: TestApp;
  let port: number;

  beforeAll(async () => {
    // Default limits: 20 sign-ins a minute per client, backoff after 5 failures.
    app = await startTestApp({ listenHost: '0.0.0.0' });
    port = Number(new URL(app.url).port);
  });
  afterAll(() => app.close());

  it('a flood of wrong passwords from one client does not lock out another client signing in as the same user', async () => {
    const attacker = '198.51.100.7';
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const answer = await request(app.url)
        .post(LOGIN)
        .set('x-forwarded-for', attacker)
        .send({ username: 'admin', password: `wrong-${i}` });
      statuses.push(answer.status);
      if (answer.status === 429) expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((status) => status === 429)).toBe(true);
    // The failing client waits, even with the right password...
    await request(app.url)
      .post(LOGIN)
      .set('x-forwarded-for', attacker)
      .send({ username: 'admin', password: ADMIN_PASSWORD })
      .expect(429);
    // ...and the admin, from their own browser, signs in at once.
    const admin = await request(app.url)
      .post(LOGIN)
      .set('x-forwarded-for', '203.0.113.20')
      .send({ username: 'admin', password: ADMIN_PASSWORD })
      .expect(200);
    expect(admin.body.authenticated).toBe(true);
    // The session records the address the dashboard vouched for.
    const [row] = await app.instance.dataSource.query(
      `SELECT ip FROM dashboard_sessions ORDER BY created_at DESC LIMIT 1`,
    );
    expect(row.ip).toBe('203.0.113.20');
  });

  it('a client that is not the dashboard gets no fresh bucket by writing its own X-Forwarded-For', async () => {
    const address = externalAddress();
    if (!address) {
      console.warn('No non-loopback address on this machine: the forged-header case cannot be run.');
      return;
    }
    const direct = `http://${address}:${port}`;
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) {
      const answer = await request(direct)
        .post(LOGIN)
        .set('x-forwarded-for', `10.${i}.0.1`)
        .send({ username: `nobody-${i}`, password: 'wrong-password' });
      statuses.push(answer.status);
    }
    // One client (its real address): the per-address limit of 20 a minute holds.
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429]);
    // Its correct password for another name is throttled too: the limit is per client, whatever it claims.
    await request(direct)
      .post(LOGIN)
      .set('x-forwarded-for', '10.200.0.1')
      .send({ username: 'admin', password: ADMIN_PASSWORD })
      .expect(429);
  });

  it('the dashboard preload replaces a browser-written X-Forwarded-For with the connection address', async () => {
    // What Next sees after client-address.cjs (next start itself keeps a client's header).
    const echoPort = await freePort();
    const script = `require('node:http').createServer((q, s) => s.end(JSON.stringify(q.headers['x-forwarded-for'] ?? null))).listen(${echoPort}, '127.0.0.1')`;
    const child = spawn(process.execPath, ['-r', CLIENT_ADDRESS_PRELOAD, '-e', script], { stdio: 'ignore' });
    try {
      await waitFor(`http://127.0.0.1:${echoPort}/`, child, 10_000);
      const forged = await fetch(`http://127.0.0.1:${echoPort}/`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
      expect(await forged.json()).toBe('127.0.0.1');
    } finally {
      await stop(child);
    }
    const trusting = spawn(process.execPath, ['-r', CLIENT_ADDRESS_PRELOAD, '-e', script], {
      stdio: 'ignore',
      env: { ...process.env, CODEX_LB_WEB_TRUST_PROXY: '1' },
    });
    try {
      await waitFor(`http://127.0.0.1:${echoPort}/`, trusting, 10_000);
      // One trusted proxy in front: what it appended is the client; what came before is not.
      const chained = await fetch(`http://127.0.0.1:${echoPort}/`, {
        headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' },
      });
      expect(await chained.json()).toBe('203.0.113.9');
    } finally {
      await stop(trusting);
    }
  });
});

// Its own app: the cases above spent this machine's outside address's sign-in allowance.
describe('login abuse through the built dashboard (next start with client-address.cjs)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const built = existsSync(join(WEB_DIR, '.next/BUILD_ID'));
  (built ? it : it.skip)(
    'through the built dashboard: a forged X-Forwarded-For is overwritten before the API sees it',
    async () => {
      const webPort = await freePort();
      const next = require.resolve('next/dist/bin/next', { paths: [WEB_DIR] });
      const web = spawn(
        process.execPath,
        ['-r', CLIENT_ADDRESS_PRELOAD, next, 'start', '-p', String(webPort), '-H', '0.0.0.0'],
        {
          cwd: WEB_DIR,
          env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', CODEX_LB_API_URL: app.url },
          stdio: 'ignore',
        },
      );
      try {
        // The browser comes from this machine's outside address when it has one, so the address
        // the dashboard forwards differs from the dashboard's own (loopback) address.
        const browser = externalAddress() ?? '127.0.0.1';
        const webUrl = `http://${browser}:${webPort}`;
        await waitFor(`${webUrl}/api/health`, web, 60_000);
        const user = await createUserSession(app, await login(app, 'admin', ADMIN_PASSWORD), 'abuse-web');
        // A different forged address on every try: all count against the one real client.
        const statuses: number[] = [];
        for (let i = 0; i < 7; i++) {
          const answer = await fetch(`${webUrl}${LOGIN}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.${i}.1` },
            body: JSON.stringify({ username: 'abuse-web', password: 'wrong-password' }),
          });
          statuses.push(answer.status);
        }
        expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
        const [{ count }] = await app.instance.dataSource.query(
          `SELECT count(*)::int AS count FROM dashboard_sessions WHERE user_id = $1`,
          [user.id],
        );
        expect(count).toBe(1);
        // The session opened through the dashboard records the browser's address, not the forged one.
        const ok = await fetch(`${webUrl}${LOGIN}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.9.99.1' },
          body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
        });
        expect(ok.status).toBe(200);
        const [row] = await app.instance.dataSource.query(
          `SELECT ip FROM dashboard_sessions ORDER BY created_at DESC LIMIT 1`,
        );
        expect(row.ip).toBe(browser);
      } finally {
        await stop(web);
      }
    },
  );
});

describe('passwords bcrypt would cut, and wrong current passwords', () => {
  let app: TestApp;
  let adminCookie: string;

  beforeAll(async () => {
    app = await startTestApp({ env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
    adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
  });
  afterAll(() => app.close());

  it('refuses a password over 72 bytes with a 400 (ASCII or multi-byte), and a 72-byte one works', async () => {
    const create = (username: string, password: string) =>
      request(app.url).post('/api/users').set('cookie', adminCookie).send({ username, password, role: 'user' });
    const long = await create('long-ascii', 'a'.repeat(73));
    expect(long.status).toBe(400);
    expect(long.body.error.message).toMatch(/72 bytes/);
    // 37 characters, 74 bytes: under the 128-character limit, over bcrypt's.
    expect((await create('long-accents', 'é'.repeat(37))).status).toBe(400);
    await create('exact-72', 'b'.repeat(72)).expect(201);
    await request(app.url)
      .post(LOGIN)
      .send({ username: 'exact-72', password: 'b'.repeat(72) })
      .expect(200);
    // The 73rd byte is not ignored at sign-in either.
    await request(app.url)
      .post(LOGIN)
      .send({ username: 'exact-72', password: `${'b'.repeat(72)}X` })
      .expect(401);

    const user = await createUserSession(app, adminCookie, 'long-change');
    const change = await request(app.url)
      .post('/api/dashboard-auth/password/change')
      .set('cookie', user.cookie)
      .send({ currentPassword: user.password, newPassword: 'c'.repeat(73) })
      .expect(400);
    expect(change.body.error.message).toMatch(/newPassword .*72 bytes/);
  });

  it('backs off wrong current passwords on password change, and records the change time from the database', async () => {
    const user = await createUserSession(app, adminCookie, 'change-throttle');
    const change = (currentPassword: string) =>
      request(app.url)
        .post('/api/dashboard-auth/password/change')
        .set('cookie', user.cookie)
        .send({ currentPassword, newPassword: 'a-new-password-1' });
    for (let i = 0; i < 5; i++) expect((await change(`wrong-${i}`)).status).toBe(401);
    const locked = await change('wrong-again');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // Even the right one waits: guessing through a stolen session is what this stops.
    expect((await change(user.password)).status).toBe(429);

    const other = await createUserSession(app, adminCookie, 'change-clock');
    const before: { now: Date }[] = await app.instance.dataSource.query(`SELECT now() AS now`);
    await request(app.url)
      .post('/api/dashboard-auth/password/change')
      .set('cookie', other.cookie)
      .send({ currentPassword: other.password, newPassword: 'a-new-password-2' })
      .expect(200);
    const [row] = await app.instance.dataSource.query(
      `SELECT password_changed_at AS "changedAt" FROM dashboard_users WHERE id = $1`,
      [other.id],
    );
    expect(new Date(row.changedAt).getTime()).toBeGreaterThanOrEqual(new Date(before[0].now).getTime());
  });
});

describe('bcrypt concurrency limit', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      env: {
        CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
        CODEX_LB_PASSWORD_HASH_CONCURRENCY: '1',
        CODEX_LB_PASSWORD_HASH_QUEUE: '2',
      },
    });
  });
  afterAll(() => app.close());

  it('runs a bounded number of password checks and tells the rest to retry (429 server_busy, Retry-After)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        request(app.url)
          .post(LOGIN)
          .set('x-forwarded-for', `198.51.100.${i + 1}`)
          .send({ username: 'admin', password: `wrong-${i}` }),
      ),
    );
    const busy = answers.filter((answer) => answer.status === 429);
    const checked = answers.filter((answer) => answer.status === 401);
    expect(busy.length + checked.length).toBe(12);
    // One running and two waiting at most when the burst arrives.
    expect(checked.length).toBeGreaterThanOrEqual(3);
    expect(busy.length).toBeGreaterThan(0);
    for (const answer of busy) {
      expect(answer.body.error.code).toBe('server_busy');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Once the burst is through, sign-in works.
    await request(app.url).post(LOGIN).send({ username: 'admin', password: ADMIN_PASSWORD }).expect(200);
  });
});
