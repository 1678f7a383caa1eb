// Two API processes on one Postgres database and one Redis (CODEX_LB_REDIS_URL), as a deployment
// of several replicas runs them: what is changed on one is in force on the other, limits hold for
// both together, conversations keep their account across them, and a once-only job runs on one.
// The processes run the TypeScript sources (support/run-ts.cjs); the upstream is the fake one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import request from 'supertest';
import { fetch } from 'undici';
import { FakeUpstream } from '../src/fake-upstream';
import { ADMIN_PASSWORD, TEST_ENCRYPTION_KEY, createUserSession, login, type TestApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { codexBody } from './support/proxy-world';
import { connectWs, wsUrl } from './support/ws-client';

const REDIS_BASE = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** This file's own Redis database, so other specs on the same server never see its keys. */
const REDIS_DB = 11;
const API_ROOT = join(__dirname, '..');

interface Replica {
  name: string;
  url: string;
  child: ChildProcess;
  output: string[];
}

const children = new Set<ChildProcess>();
// Whatever happens to Jest, no API process outlives it.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function redisUrl(): string {
  const url = new URL(REDIS_BASE);
  url.pathname = `/${REDIS_DB}`;
  return url.toString();
}

async function startReplica(name: string, env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', join(__dirname, 'support/run-ts.cjs'), 'src/main.ts'], {
    cwd: API_ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      CODEX_LB_PORT: String(port),
      CODEX_LB_HOST: '127.0.0.1',
      CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CODEX_LB_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      CODEX_LB_USAGE_POLL_INTERVAL_SECONDS: '0',
      CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      CODEX_LB_LOG_FORMAT: 'json',
      CODEX_LB_REDIS_URL: redisUrl(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${output.join('').slice(-2000)}`);
    try {
      const response = await fetch(`${url}/api/health/ready`);
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${name} did not become ready: ${output.join('').slice(-2000)}`);
    await sleep(200);
  }
  return { name, url, child, output };
}

async function stopReplica(replica: Replica | undefined): Promise<void> {
  if (!replica || replica.child.exitCode !== null) return;
  const exited = new Promise((resolve) => replica.child.once('exit', resolve));
  replica.child.kill('SIGTERM');
  const timer = setTimeout(() => replica.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` holds; returns the milliseconds it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await sleep(25);
  }
}

describe('two replicas on one Postgres and one Redis', () => {
  let db: TestDatabase;
  let fake: FakeUpstream;
  let redis: Redis;
  let a: Replica;
  let b: Replica;
  let admin: string;
  let alice: { id: string; cookie: string };
  let gina: { id: string; cookie: string };

  const as = (replica: Replica, cookie: string) => ({
    get: (path: string) => request(replica.url).get(path).set('cookie', cookie),
    post: (path: string, body?: object) => request(replica.url).post(path).set('cookie', cookie).send(body),
    put: (path: string, body?: object) => request(replica.url).put(path).set('cookie', cookie).send(body),
    patch: (path: string, body?: object) => request(replica.url).patch(path).set('cookie', cookie).send(body),
    delete: (path: string) => request(replica.url).delete(path).set('cookie', cookie),
  });
  const respond = (replica: Replica, key: string, body: object = {}) =>
    request(replica.url)
      .post('/v1/responses')
      .set('authorization', `Bearer ${key}`)
      .send({ model: 'gpt-5.1-codex', input: 'hello', stream: false, ...body });
  const addAccount = async (cookie: string, email: string) => {
    const seat = fake.addAccount({ email });
    const response = await as(a, cookie).post('/api/accounts/import', fake.authJsonFor(seat)).expect(201);
    return { seat, id: response.body.id as string };
  };
  const createKey = async (cookie: string, body: Record<string, unknown> = {}) => {
    const response = await as(a, cookie)
      .post('/api/api-keys', { name: 'replica key', ...body })
      .expect(201);
    return { key: response.body.key as string, id: response.body.apiKey.id as string };
  };

  beforeAll(async () => {
    redis = new Redis(redisUrl());
    await redis.flushdb();
    fake = await FakeUpstream.start({ usageGrowth: { primary: 0, secondary: 0 } });
    db = await createTestDatabase();
    const env = {
      CODEX_LB_DATABASE_URL: db.url,
      CODEX_LB_AUTH_BASE_URL: fake.authBaseUrl,
      CODEX_LB_UPSTREAM_BASE_URL: fake.backendBaseUrl,
      CODEX_LB_OAUTH_CALLBACK_PORT: '0',
      CODEX_LB_LOG_RETENTION_DAYS: '30',
      CODEX_LB_LOG_RETENTION_FIRST_RUN_SECONDS: '3',
      CODEX_LB_JOB_LEASE_SECONDS: '3',
      // Small enough to fill across the two replicas in a spec; every other case stays under it.
      CODEX_LB_MAX_CONCURRENT_PER_KEY: '6',
      CODEX_LB_QUEUE_TIMEOUT_SECONDS: '2',
      CODEX_LB_DATA_DIR: mkdtempSync(join(tmpdir(), 'codex-lb-replicas-')),
    };
    // A runs the migrations; B starts on the migrated database.
    a = await startReplica('A', env);
    b = await startReplica('B', env);
    const app = { url: a.url } as TestApp;
    admin = await login(app, 'admin', ADMIN_PASSWORD);
    alice = await createUserSession(app, admin, 'alice');
    gina = await createUserSession(app, admin, 'gina');
    await addAccount(alice.cookie, 'alice-1@example.com');
    await addAccount(alice.cookie, 'alice-2@example.com');
    await addAccount(alice.cookie, 'alice-3@example.com');
  }, 240_000);

  afterAll(async () => {
    await Promise.all([stopReplica(a), stopReplica(b)]);
    for (const child of children) child.kill('SIGKILL');
    await redis?.flushdb();
    redis?.disconnect();
    await fake?.close();
    await db?.drop();
  });

  it('refuses on B a key revoked on A within a second', async () => {
    const { key, id } = await createKey(alice.cookie);
    await respond(b, key).expect(200);
    await respond(b, key).expect(200);
    await as(a, alice.cookie).delete(`/api/api-keys/${id}`).expect(204);
    const took = await within(1_000, async () => (await respond(b, key)).status === 401);
    expect(took).toBeLessThan(1_000);
  });

  it('refuses it too when B lost its subscription and reconnected meanwhile', async () => {
    const { key, id } = await createKey(alice.cookie);
    await respond(b, key).expect(200);
    const clients = await redis.client('LIST');
    const line = String(clients)
      .split('\n')
      .find((entry) => entry.includes(`name=codex-lb-subscriber-${b.child.pid}`));
    expect(line).toBeDefined();
    const clientId = /\bid=(\d+)/.exec(line!)![1];
    await redis.client('KILL', 'ID', clientId);
    // The revocation is published while B's subscription is down (or just back).
    await as(a, alice.cookie).delete(`/api/api-keys/${id}`).expect(204);
    const took = await within(1_000, async () => (await respond(b, key)).status === 401);
    expect(took).toBeLessThan(1_000);
    // B subscribed again: the next revocation arrives by message.
    const second = await createKey(alice.cookie);
    await respond(b, second.key).expect(200);
    await as(a, alice.cookie).delete(`/api/api-keys/${second.id}`).expect(204);
    await within(1_000, async () => (await respond(b, second.key)).status === 401);
  });

  it('closes on B an open stream of a key revoked on A', async () => {
    const { key, id } = await createKey(alice.cookie);
    fake.configure({ eventDelayMs: 400 });
    try {
      const response = await fetch(`${b.url}/backend-api/codex/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(codexBody('a long answer')),
      });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      let text = Buffer.from(first.value!).toString();
      await as(a, alice.cookie).delete(`/api/api-keys/${id}`).expect(204);
      const revokedAt = Date.now();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += Buffer.from(value).toString();
        }
      } catch {
        // Cut mid-stream: the socket was destroyed.
      }
      expect(Date.now() - revokedAt).toBeLessThan(2_000);
      expect(text).not.toContain('response.completed');
    } finally {
      fake.configure({ eventDelayMs: 0 });
    }
  });

  it('closes on B the open WebSocket of an owner deactivated on A', async () => {
    const dave = await createUserSession({ url: a.url } as TestApp, admin, 'dave');
    await addAccount(dave.cookie, 'dave@example.com');
    const { key } = await createKey(dave.cookie);
    const client = await connectWs(wsUrl(b.url), {
      authorization: `Bearer ${key}`,
      'session-id': 'replica-socket',
      originator: 'codex_exec',
    });
    try {
      const frames = await client.turn({
        ...codexBody('before deactivation'),
        stream: undefined,
      });
      expect(frames[frames.length - 1].type).toBe('response.completed');
      const started = Date.now();
      await as(a, admin).patch(`/api/users/${dave.id}`, { isActive: false }).expect(200);
      const closed = await client.closed;
      expect(closed.at - started).toBeLessThan(1_000);
      expect(closed.code).toBe(1008);
    } finally {
      client.close();
    }
  });

  it('admits exactly 7 of a 7-per-minute key limit across both replicas at once', async () => {
    // Not across a minute boundary: the window is the calendar minute.
    const second = new Date().getUTCSeconds();
    if (second > 45) await sleep((61 - second) * 1000);
    const { key } = await createKey(alice.cookie, { limits: [{ kind: 'requests', window: 'minute', max: 7 }] });
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => respond(i % 2 === 0 ? a : b, key).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(7);
    expect(statuses.filter((s) => s === 429)).toHaveLength(13);
  });

  it('holds the per-key concurrency cap across both replicas', async () => {
    const { key } = await createKey(alice.cookie);
    fake.configure({ eventDelayMs: 500 });
    const open: { cancel(): Promise<void> }[] = [];
    try {
      // Three streams on each replica: six in flight, the key's cap.
      for (const replica of [a, b, a, b, a, b]) {
        const response = await fetch(`${replica.url}/backend-api/codex/responses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(codexBody('hold a slot')),
        });
        expect(response.status).toBe(200);
        const reader = response.body!.getReader();
        await reader.read();
        open.push(reader);
      }
      // B holds three of its own six: only the shared count refuses the seventh.
      const refused = await respond(b, key);
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('concurrency_limit_exceeded');
    } finally {
      fake.configure({ eventDelayMs: 0 });
      await Promise.all(open.map((reader) => reader.cancel().catch(() => undefined)));
    }
    // The slots come back when the streams end: the key serves again.
    await within(5_000, async () => (await respond(b, key)).status === 200);
  });

  it('stops routing through a group on B once the member was removed on A', async () => {
    const groupId = (await as(a, gina.cookie).post('/api/groups', { slug: 'team', name: 'Team' }).expect(201)).body
      .id as string;
    await as(a, gina.cookie).put(`/api/groups/${groupId}/members/${alice.id}`, { role: 'member' }).expect(200);
    const seat = await addAccount(gina.cookie, 'team-seat@example.com');
    await as(a, gina.cookie).patch(`/api/accounts/${seat.id}/owner`, { groupId }).expect(200);
    // Only the group's account: alice's own accounts are left out by the allowlist.
    const { key } = await createKey(alice.cookie, { groupIds: [groupId], accountIds: [seat.id] });
    await within(1_000, async () => (await respond(b, key)).status === 200);
    await as(a, gina.cookie).delete(`/api/groups/${groupId}/members/${alice.id}`).expect(204);
    const took = await within(1_000, async () => (await respond(b, key)).status !== 200);
    expect(took).toBeLessThan(1_000);
    const refused = await respond(b, key);
    expect(refused.status).toBeGreaterThanOrEqual(400);
  });

  it('continues on B a conversation started on A, on its account', async () => {
    const { key } = await createKey(alice.cookie);
    const first = await respond(a, key, { input: 'start' }).expect(200);
    const servedBy = fake.requests[fake.requests.length - 1].chatgptAccountId;
    for (let i = 0; i < 6; i++) {
      const next = await respond(i % 2 === 0 ? b : a, key, {
        input: `next ${i}`,
        previous_response_id: first.body.id,
      }).expect(200);
      expect(next.body.id).toBeDefined();
      expect(fake.requests[fake.requests.length - 1].chatgptAccountId).toBe(servedBy);
    }
  });

  it("applies a role change made on A to B's next request", async () => {
    const listed = (await as(a, admin).get('/api/roles').expect(200)).body;
    const roles = (Array.isArray(listed) ? listed : listed.items) as { slug: string; permissions: string[] }[];
    const userPermissions = roles.find((role) => role.slug === 'user')!.permissions;
    const role = (
      await as(a, admin).post('/api/roles', { slug: 'coder', name: 'Coder', permissions: userPermissions }).expect(201)
    ).body as { id: string };
    const carol = await createUserSession({ url: a.url } as TestApp, admin, 'carol');
    await as(a, admin).patch(`/api/users/${carol.id}`, { role: 'coder' }).expect(200);
    await addAccount(carol.cookie, 'carol@example.com');
    const { key } = await createKey(carol.cookie);
    await respond(b, key).expect(200);
    await as(a, admin)
      .patch(`/api/roles/${role.id}`, { permissions: userPermissions.filter((p) => p !== 'proxy:use') })
      .expect(200);
    const took = await within(1_000, async () => (await respond(b, key)).status !== 200);
    expect(took).toBeLessThan(1_000);
    expect([401, 403]).toContain((await respond(b, key)).status);
    // Sessions read the role per request: B sees the narrowed role at once too.
    const session = await as(b, carol.cookie).get('/api/dashboard-auth/session').expect(200);
    expect(JSON.stringify(session.body)).not.toContain('proxy:use');
  });

  it('backs off on B a client that failed to sign in on A', async () => {
    const attempt = (replica: Replica) =>
      request(replica.url)
        .post('/api/dashboard-auth/password/login')
        .send({ username: 'gina', password: 'not-her-password' });
    // The default allows 5 failures before the backoff starts.
    for (let i = 0; i < 5; i++) expect((await attempt(a)).status).toBe(401);
    // B's first try is refused: the count is A's (B alone would answer 401 five more times).
    await sleep(200);
    const refused = await attempt(b);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The per-address throttle counted those tries in Redis, for both replicas together.
    const counted = await redis.keys('codex-lb:throttle:*');
    expect(counted.length).toBeGreaterThan(0);
    const hits = Math.max(
      ...(await Promise.all(counted.filter((k) => !k.includes('block')).map((k) => redis.get(k)))).map(Number),
    );
    expect(hits).toBeGreaterThanOrEqual(6);
  });

  it('runs log retention on exactly one replica', async () => {
    const passes = (replica: Replica) => replica.output.join('').split('Retention pass').length - 1;
    await within(20_000, async () => passes(a) + passes(b) > 0);
    expect([passes(a), passes(b)].filter((n) => n > 0)).toHaveLength(1);
    const holds = (replica: Replica) => replica.output.join('').includes('This replica runs the log-retention job');
    expect([holds(a), holds(b)].filter(Boolean)).toHaveLength(1);
  });
});
