// `npm run bench:queries [-- --database-url postgres://... --iterations 40]`
// Boots the real app against a database filled by `npm run seed:logs`, signs in as the admin and
// as a user, and times every usage endpoint over the last 30 days through HTTP. Prints p50/p95
// per endpoint; the target is p95 <= 100 ms at 10 million rows.
import { createApp } from '../apps/api/src/app.factory';
import { arg, BENCH_ADMIN_PASSWORD, BENCH_DATABASE_URL, BENCH_USER_PASSWORD, benchSettings } from './seed-logs';

const TARGET_P95_MS = 100;

interface Case {
  name: string;
  who: 'admin' | 'user';
  path: string;
  /** Stop at the first data row (a full 30-day export is millions of rows). */
  firstChunkOnly?: boolean;
}

async function login(base: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${base}/api/dashboard-auth/password/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`login as ${username} failed: ${response.status} (run seed:logs first)`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
  return cookie;
}

async function timeOnce(base: string, cookie: string, c: Case): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}${c.path}`, { headers: { cookie } });
  if (response.status !== 200) throw new Error(`${c.name}: HTTP ${response.status} ${await response.text()}`);
  if (c.firstChunkOnly) {
    // Time to the first data row (the header line alone is sent before any query runs).
    const reader = response.body!.getReader();
    let text = '';
    while ((text.match(/\r\n/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    const elapsed = performance.now() - started;
    await reader.cancel();
    // The server finishes the one batch it was reading when we hung up; let it, so that work
    // is not billed to the next sample.
    await new Promise((resolve) => setTimeout(resolve, 250));
    return elapsed;
  }
  await response.arrayBuffer();
  return performance.now() - started;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function json(base: string, cookie: string, path: string) {
  const response = await fetch(`${base}${path}`, { headers: { cookie } });
  return response.json();
}

async function main(): Promise<void> {
  const url = arg('database-url', process.env.CODEX_LB_DATABASE_URL ?? BENCH_DATABASE_URL)!;
  const iterations = Number(arg('iterations', '40'));
  const app = await createApp(benchSettings(url), { logger: false });
  try {
    await app.app.listen(0, '127.0.0.1');
    const address = app.app.getHttpServer().address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const [{ count }] = await app.dataSource.query('SELECT count(*)::bigint AS count FROM request_logs');
    const cookies = {
      admin: await login(base, 'admin', BENCH_ADMIN_PASSWORD),
      user: await login(base, 'bench-alice', BENCH_USER_PASSWORD),
    };
    const to = new Date();
    const from = new Date(to.getTime() - 30 * 86_400_000);
    const range = `from=${from.toISOString()}&to=${to.toISOString()}`;
    const firstPage = await json(base, cookies.admin, `/api/request-logs?${range}&limit=50`);
    const userPage = await json(base, cookies.user, `/api/request-logs?${range}&limit=50`);
    const sample = firstPage.items[0];
    const [key] = await app.dataSource.query(`SELECT id FROM api_keys WHERE prefix = 'sk-clb-bench' LIMIT 1`);
    const [account] = await app.dataSource.query(`SELECT id FROM accounts WHERE access_token_enc = 'seed' LIMIT 1`);
    const cases: Case[] = [
      { name: 'request-logs (newest 50)', who: 'admin', path: `/api/request-logs?${range}&limit=50` },
      { name: 'request-logs (newest 50)', who: 'user', path: `/api/request-logs?${range}&limit=50` },
      {
        name: 'request-logs page 2 (cursor)',
        who: 'admin',
        path: `/api/request-logs?${range}&limit=50&cursor=${firstPage.nextCursor}`,
      },
      {
        name: 'request-logs page 2 (cursor)',
        who: 'user',
        path: `/api/request-logs?${range}&limit=50&cursor=${userPage.nextCursor}`,
      },
      { name: 'request-logs limit=500', who: 'admin', path: `/api/request-logs?${range}&limit=500` },
      { name: 'request-logs ?apiKeyId', who: 'admin', path: `/api/request-logs?${range}&apiKeyId=${key.id}` },
      { name: 'request-logs ?accountId', who: 'admin', path: `/api/request-logs?${range}&accountId=${account.id}` },
      { name: 'request-logs ?model', who: 'admin', path: `/api/request-logs?${range}&model=gpt-5-mini` },
      { name: 'request-logs ?status=error', who: 'admin', path: `/api/request-logs?${range}&status=error` },
      { name: 'request-logs ?status=error', who: 'user', path: `/api/request-logs?${range}&status=error` },
      {
        name: 'request-logs ?route',
        who: 'admin',
        path: `/api/request-logs?${range}&route=%2Fv1%2Fchat%2Fcompletions`,
      },
      { name: 'request-logs ?q=timeout', who: 'admin', path: `/api/request-logs?${range}&q=timeout` },
      {
        name: 'request-logs ?model&status (user)',
        who: 'user',
        path: `/api/request-logs?${range}&model=gpt-5&status=cancelled`,
      },
      { name: 'request-logs/:id', who: 'admin', path: `/api/request-logs/${sample.id}` },
      {
        name: 'request-logs/export (first row)',
        who: 'admin',
        path: `/api/request-logs/export?${range}`,
        firstChunkOnly: true,
      },
      {
        name: 'request-logs/export (first row)',
        who: 'user',
        path: `/api/request-logs/export?${range}`,
        firstChunkOnly: true,
      },
      { name: 'usage/summary', who: 'admin', path: `/api/usage/summary?${range}` },
      { name: 'usage/summary', who: 'user', path: `/api/usage/summary?${range}` },
      {
        name: 'usage/timeseries hour×model',
        who: 'admin',
        path: `/api/usage/timeseries?${range}&bucket=hour&groupBy=model`,
      },
      { name: 'usage/timeseries day×key', who: 'admin', path: `/api/usage/timeseries?${range}&bucket=day&groupBy=key` },
      {
        name: 'usage/timeseries day×account',
        who: 'user',
        path: `/api/usage/timeseries?${range}&bucket=day&groupBy=account`,
      },
      {
        name: 'usage/timeseries day×owner',
        who: 'admin',
        path: `/api/usage/timeseries?${range}&bucket=day&groupBy=owner`,
      },
      { name: 'dashboard/overview', who: 'admin', path: '/api/dashboard/overview' },
      { name: 'dashboard/overview', who: 'user', path: '/api/dashboard/overview' },
    ];

    console.log(
      `\n${Number(count).toLocaleString('en')} request logs; 30-day range; ${iterations} runs per row after 3 warm-ups\n`,
    );
    const header = `| endpoint | as | p50 ms | p95 ms | max ms | ≤${TARGET_P95_MS} ms |`;
    console.log(header);
    console.log('|---|---|---:|---:|---:|:-:|');
    let failures = 0;
    for (const c of cases) {
      const cookie = cookies[c.who];
      for (let i = 0; i < 3; i++) await timeOnce(base, cookie, c);
      const samples: number[] = [];
      for (let i = 0; i < iterations; i++) samples.push(await timeOnce(base, cookie, c));
      samples.sort((a, b) => a - b);
      const p95 = quantile(samples, 0.95);
      if (p95 > TARGET_P95_MS) failures++;
      const row = [
        c.name,
        c.who,
        quantile(samples, 0.5).toFixed(1),
        p95.toFixed(1),
        samples[samples.length - 1].toFixed(1),
      ];
      console.log(`| ${row.join(' | ')} | ${p95 <= TARGET_P95_MS ? 'yes' : 'NO'} |`);
    }
    console.log(failures === 0 ? '\nEvery endpoint met the target.' : `\n${failures} endpoint(s) missed the target.`);
    process.exitCode = failures === 0 ? 0 : 1;
  } finally {
    await app.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
