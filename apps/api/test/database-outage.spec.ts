// A database outage on the real app: its own database stops accepting connections and loses the
// ones it had. The dashboard answers 503 database_unavailable within seconds, the proxy keeps
// serving from memory, and once the database is back the app recovers and the log rows written
// during the outage are stored. Then the worse case: the network path to the database goes
// silent (nothing refused, nothing answered), which only the app's own deadlines can end.
import { createServer, connect, type Server, type Socket } from 'node:net';
import request from 'supertest';
import { Client } from 'pg';
import { ADMIN_PASSWORD, login, startTestApp, type TestApp } from './support/app';
import { ADMIN_DATABASE_URL, createTestDatabase, type TestDatabase } from './support/database';
import { addAccount, codexBody, createKey, flushLogs, startWorld, type World } from './support/proxy-world';

/** Cuts a database off (no new connections, existing ones ended) and brings it back. */
async function setDatabaseAvailable(name: string, available: boolean): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${available ? 'true' : 'false'}`);
    if (!available) {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [name],
      );
    }
  } finally {
    await admin.end();
  }
}

async function countLogs(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const rows = await client.query<{ n: string }>('SELECT count(*) AS n FROM request_logs');
    return Number(rows.rows[0].n);
  } finally {
    await client.end();
  }
}

describe('database outage', () => {
  let w: World;
  let key: string;
  let dbName: string;
  let down = false;

  beforeAll(async () => {
    w = await startWorld();
    dbName = w.app.db!.name;
    await addAccount(w, w.alice.cookie, 'alice-outage@example.com');
    key = (await createKey(w, w.alice.cookie)).key;
    // The key is cached by its first use; during the outage it cannot be looked up.
    await codexCall().expect(200);
    await flushLogs(w);
  });
  afterAll(async () => {
    if (down) await setDatabaseAvailable(dbName, true);
    await w.close();
  });

  const codexCall = () =>
    request(w.app.url)
      .post('/backend-api/codex/responses')
      .set('authorization', `Bearer ${key}`)
      .set('accept', 'text/event-stream')
      .send(codexBody('during the outage'));

  it('answers the dashboard 503 database_unavailable within 5 s, keeps proxying, and recovers', async () => {
    const logsBefore = await countLogs(w.app.db!.url);
    await setDatabaseAvailable(dbName, false);
    down = true;

    for (const [path, cookie] of [
      ['/api/users', w.admin],
      ['/api/api-keys', w.alice.cookie],
      ['/api/health', undefined],
    ] as const) {
      const started = Date.now();
      const call = request(w.app.url).get(path);
      if (cookie) call.set('cookie', cookie);
      const response = await call;
      const elapsed = Date.now() - started;
      expect([path, response.status, response.body.error?.code]).toEqual([path, 503, 'database_unavailable']);
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(JSON.stringify(response.body)).not.toMatch(/ALLOW_CONNECTIONS|terminat|57P|pg_/i);
      expect(elapsed).toBeLessThan(5_000);
    }

    // Readiness fails (a load balancer sends new traffic elsewhere) and says the database is away;
    // liveness holds, and this instance still serves the proxy from memory.
    const startedReady = Date.now();
    const ready = await request(w.app.url).get('/api/health/ready');
    expect(Date.now() - startedReady).toBeLessThan(5_000);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ ready: false, status: 'degraded', database: 'unavailable' });
    await request(w.app.url).get('/api/health/live').expect(200);

    // The proxy serves from memory: the key, the account and its token are cached.
    const proxied = await codexCall();
    expect(proxied.status).toBe(200);
    expect(proxied.text).toContain('response.completed');

    await setDatabaseAvailable(dbName, true);
    down = false;

    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await request(w.app.url).get('/api/users').set('cookie', w.admin)).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
    await request(w.app.url).get('/api/health').expect(200);

    // The row logged during the outage is stored once the database is back.
    const stored = Date.now() + 15_000;
    let logs = 0;
    while (Date.now() < stored) {
      await flushLogs(w).catch(() => undefined);
      logs = await countLogs(w.app.db!.url);
      if (logs > logsBefore) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(logs).toBe(logsBefore + 1);
  });
});

/** A TCP relay to Postgres that can go silent: bytes stop flowing both ways, nothing is closed. */
interface Relay {
  port: number;
  silence(): void;
  restore(): void;
  close(): Promise<void>;
}

async function startRelay(target: URL): Promise<Relay> {
  let silent = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (silent) return; // accepted, never answered
    const upstream = connect(Number(target.port || 5432), target.hostname);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('data', (chunk) => silent || upstream.write(chunk));
    upstream.on('data', (chunk) => silent || client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    silence: () => (silent = true),
    restore() {
      silent = false;
      // Connections that lost bytes while silent are beyond repair; the app must open new ones.
      for (const socket of open) socket.destroy();
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('database behind a silent network path', () => {
  let db: TestDatabase;
  let relay: Relay;
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    relay = await startRelay(target);
    const relayed = new URL(db.url);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(relay.port);
    app = await startTestApp({
      db,
      env: {
        CODEX_LB_DATABASE_URL: relayed.toString(),
        CODEX_LB_DATABASE_CONNECT_TIMEOUT_SECONDS: '1',
        CODEX_LB_DATABASE_STATEMENT_TIMEOUT_SECONDS: '1',
      },
    });
    admin = await login(app, 'admin', ADMIN_PASSWORD);
  });
  afterAll(async () => {
    relay.restore();
    await app?.close();
    await relay?.close();
    await db?.drop();
  });

  it('answers 503 database_unavailable within seconds instead of hanging, and recovers', async () => {
    await request(app.url).get('/api/users').set('cookie', admin).expect(200);
    relay.silence();

    // Pooled connections hit the client read deadline (statement timeout + 2 s); new ones the
    // connect deadline. Either way the answer comes well before the old 45 s.
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const response = await request(app.url).get('/api/users').set('cookie', admin);
      expect([response.status, response.body.error?.code]).toEqual([503, 'database_unavailable']);
      expect(Date.now() - started).toBeLessThan(5_000);
    }

    relay.restore();
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await request(app.url).get('/api/users').set('cookie', admin)).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
  });
});

describe('database deadlines at startup', () => {
  it("waits out another instance's startup lock and migrations, however long, then bound requests again", async () => {
    const db = await createTestDatabase();
    // Another instance holding the startup lock (migrate.ts) for longer than a statement may run.
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [7_346_201_455]);
    const starting = startTestApp({ db, env: { CODEX_LB_DATABASE_STATEMENT_TIMEOUT_SECONDS: '1' } });
    const failed = starting.then(
      () => null,
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // past 1 s + the 2 s read margin
    await holder.query('SELECT pg_advisory_unlock($1)', [7_346_201_455]);
    await holder.end();
    expect(await failed).toBeNull();
    const app = await starting;
    try {
      const rows: { statement_timeout: string }[] = await app.instance.dataSource.query('SHOW statement_timeout');
      expect(rows[0].statement_timeout).toBe('1s');
    } finally {
      await app.close();
      await db.drop();
    }
  });
});
