// A replica whose Redis goes away keeps serving the proxy (keys read from Postgres, since other
// replicas' revocations cannot reach it), reports the outage in readiness and metrics, and
// resynchronises when Redis is back. Runs its own redis-server on a free port, so stopping it
// touches nothing else.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import request from 'supertest';
import { addAccount, codexBody, createKey, postCodex, startWorld, type World } from './support/proxy-world';

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

function startRedis(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.once('error', reject);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
}

async function stopRedis(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function eventually(ms: number, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Redis outage on a replica', () => {
  let w: World;
  let port: number;
  let redis: ChildProcess | null = null;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    w = await startWorld({ CODEX_LB_REDIS_URL: `redis://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    await w?.close();
    await stopRedis(redis);
  });

  const ready = () => request(w.app.url).get('/api/health/ready');
  const metric = async (name: string) => {
    const text = (await request(w.app.url).get('/metrics').expect(200)).text;
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };

  it('keeps serving, reports it, and resynchronises when Redis is back', async () => {
    await addAccount(w, w.alice.cookie, 'outage@example.com');
    const { key } = await createKey(w, w.alice.cookie, { name: 'outage' });
    await eventually(5_000, async () => (await ready()).status === 200);
    expect((await ready()).body).toMatchObject({ ready: true, redis: 'ok' });
    expect(await metric('codex_lb_redis_up')).toBe(1);
    await postCodex(w, key, codexBody('with redis')).expect(200);

    await stopRedis(redis);
    redis = null;
    await eventually(5_000, async () => (await ready()).status === 503);
    expect((await ready()).body).toMatchObject({ ready: false, redis: 'unavailable', database: 'ok' });
    expect(await metric('codex_lb_redis_up')).toBe(0);
    expect(await metric('codex_lb_redis_invalidations_trusted')).toBe(0);
    // Still serving: the key is read from Postgres, and a revocation holds at once.
    await postCodex(w, key, codexBody('without redis')).expect(200);
    const other = await createKey(w, w.alice.cookie, { name: 'revoked meanwhile' });
    await postCodex(w, other.key, codexBody('before')).expect(200);
    await request(w.app.url).delete(`/api/api-keys/${other.id}`).set('cookie', w.alice.cookie).expect(204);
    await postCodex(w, other.key, codexBody('after')).expect(401);

    redis = await startRedis(port);
    await eventually(10_000, async () => (await ready()).status === 200);
    await eventually(5_000, async () => (await metric('codex_lb_redis_invalidations_trusted')) === 1);
    expect(await metric('codex_lb_redis_cache_resyncs_total')).toBeGreaterThanOrEqual(1);
    await postCodex(w, key, codexBody('redis is back')).expect(200);
  });
});
