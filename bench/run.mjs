// `npm run bench`: the proxy against the limit. Starts the fake upstream, a bare pass-through proxy
// (no auth, no parsing) and the product on a fresh Postgres database, each as its own process,
// loads them with Codex-shaped and Chat Completions requests from a separate load process, and
// prints throughput, latency, CPU per request and RSS, with the product's ratios to the bare proxy
// measured in the same run. Results also go to bench/results/latest.json. Exits 0 when a target is
// missed (the table says PASS or MISS); non-zero only when the run itself fails.
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { Histogram } from './histogram.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(ROOT, 'bench');
const require = createRequire(join(ROOT, 'apps/api/package.json'));
const pg = require('pg');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 8000); // measured, summed over slices
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SLICE_WARMUP_MS = 500;
// Before any slice is measured, each target serves each scenario unmeasured for this long, so the
// rows compare steady states (JIT-compiled code), not how fast each warms up.
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 3000);
const SINGLE_DURATION_MS = Number(process.env.BENCH_SINGLE_DURATION_MS ?? 5000);
const MAX_REQUESTS = 500_000;
const ADMIN_PASSWORD = 'bench-admin-password-1';
const TARGET_RPS_RATIO = 0.75;
const TARGET_ADDED_P50_MS = 1;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

const children = new Set();
let database = null; // { admin: connection string, name }
let cleaning = null;

function log(line) {
  process.stderr.write(`[bench] ${line}\n`);
}

// ---------------------------------------------------------------- build

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIfNeeded() {
  const api = join(ROOT, 'apps/api/dist/main.js');
  const shared = join(ROOT, 'libs/shared/dist');
  const built = existsSync(api) && existsSync(shared) ? Math.min(statSync(api).mtimeMs, newestMtime(shared)) : 0;
  const source = Math.max(newestMtime(join(ROOT, 'apps/api/src')), newestMtime(join(ROOT, 'libs/shared/src')));
  if (built > 0 && built >= source) return;
  log(built === 0 ? 'no build found: building shared and api' : 'sources newer than the build: rebuilding');
  for (const ws of ['@codex-lb/shared', '@codex-lb/api']) {
    execFileSync('npm', ['run', 'build', '-w', ws], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
}

// ---------------------------------------------------------------- processes

function freePort() {
  return new Promise((res, rej) => {
    const server = net.createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

function start(name, args, env = {}, ready = null) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.benchName = name;
  children.add(child);
  let output = '';
  const collect = (d) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  // BENCH_LOG_DIR=<dir> keeps each process's whole output in <dir>/<name>.log.
  if (process.env.BENCH_LOG_DIR) {
    mkdirSync(process.env.BENCH_LOG_DIR, { recursive: true });
    const file = createWriteStream(join(process.env.BENCH_LOG_DIR, `${name.replace(/\W+/g, '-')}.log`));
    child.stdout.pipe(file);
    child.stderr.pipe(file);
  }
  child.once('exit', () => children.delete(child));
  const started = new Promise((res, rej) => {
    const fail = (code) => rej(new Error(`${name} exited (${code}) before it was ready:\n${output}`));
    child.once('exit', fail);
    const check = () => {
      if (ready && !ready.test(output)) return;
      child.off('exit', fail);
      child.stdout.off('data', check);
      res(child);
    };
    if (ready) child.stdout.on('data', check);
    else setImmediate(check);
  });
  child.output = () => output;
  return started;
}

async function waitForHttp(url, child, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${child.benchName} exited:\n${child.output()}`);
    try {
      const res = await request(url);
      await res.body.dump();
      return;
    } catch {
      if (Date.now() > until) throw new Error(`${url} not answering after ${timeoutMs} ms:\n${child.output()}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...children].map(stopChild));
    if (database) {
      const client = new pg.Client({ connectionString: database.admin });
      try {
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`);
      } catch (err) {
        log(`could not drop ${database.name}: ${err.message}`);
      } finally {
        await client.end().catch(() => {});
      }
      database = null;
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- /proc sampling

/** [user, system] CPU ticks of a process, all threads. */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after "(comm)": state is index 0, so utime (14th overall) is 11, stime is 12.
  return [Number(fields[11]), Number(fields[12])];
}

function rssMb(pid) {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------- setup through the API

async function api(base, method, path, { cookie, body } = {}) {
  const res = await request(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path} -> ${res.statusCode}: ${text.slice(0, 300)}`);
  return { json: text ? JSON.parse(text) : null, headers: res.headers };
}

function sessionCookie(headers) {
  const cookies = [].concat(headers['set-cookie'] ?? []);
  const cookie = cookies.find((c) => c.startsWith('codex_lb_session='));
  if (!cookie) throw new Error('login returned no session cookie');
  return cookie.split(';')[0];
}

// ---------------------------------------------------------------- load runs

function runLoad(target, config) {
  return new Promise((res, rej) => {
    const child = fork(join(BENCH, 'load.mjs'), [], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    child.benchName = 'load';
    const pids = [target.pid, target.upstreamPid];
    let startTicks = null;
    let endTicks = null;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssMb(target.pid));
    }, 100);
    child.on('message', (msg) => {
      if (msg.type === 'measuring') {
        startTicks = pids.map(cpuTicks);
        peakRss = Math.max(peakRss, rssMb(target.pid));
      } else if (msg.type === 'measured') {
        endTicks = pids.map(cpuTicks);
        peakRss = Math.max(peakRss, rssMb(target.pid));
      } else if (msg.type === 'result') {
        clearInterval(sampler);
        const r = msg.result;
        res({
          ...r,
          targetTicks: endTicks[0][0] + endTicks[0][1] - startTicks[0][0] - startTicks[0][1],
          targetSysTicks: endTicks[0][1] - startTicks[0][1],
          upstreamTicks: endTicks[1][0] + endTicks[1][1] - startTicks[1][0] - startTicks[1][1],
          rssMb: peakRss,
        });
      } else if (msg.type === 'error') {
        clearInterval(sampler);
        rej(new Error(`load generator failed: ${msg.error}`));
      }
    });
    child.once('exit', (code) => {
      children.delete(child);
      clearInterval(sampler);
      if (code !== 0) rej(new Error(`load generator exited with ${code}`));
    });
    child.send({ type: 'run', config: { ...config, origin: target.origin, apiKey: target.apiKey } });
  });
}

// ---------------------------------------------------------------- output

const fmt = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));

function table(rows) {
  const head = [
    'scenario',
    'target',
    'conns',
    'req/s',
    'p50 ms',
    'p99 ms',
    'CPU ms/req',
    'RSS MB',
    'req/s vs bare',
    'added p50 ms',
    'CPU vs bare',
    'errors',
  ];
  const body = rows.map((r) => [
    r.scenario,
    r.target,
    String(r.connections),
    fmt(r.rps, 0),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    fmt(r.cpuMsPerReq, 2),
    fmt(r.rssMb, 0),
    r.rpsRatio === undefined ? '' : `${fmt(r.rpsRatio, 2)}x`,
    r.addedP50Ms === undefined ? '' : fmt(r.addedP50Ms, 2),
    r.cpuRatio === undefined ? '' : `${fmt(r.cpuRatio, 1)}x`,
    String(r.bad),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------- main

const SCENARIOS = [
  { name: 'codex-stream', shape: 'codex', path: '/backend-api/codex/responses', bare: 'codex-stream' },
  { name: 'chat-stream', shape: 'chat-stream', path: '/v1/chat/completions', bare: 'codex-stream' },
  { name: 'chat-json', shape: 'chat-json', path: '/v1/chat/completions', bare: 'codex-stream' },
];

// BENCH_ONLY=chat-json,... runs a subset (the bare proxy's codex-stream reference always runs).
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const CHOSEN = SCENARIOS.filter((s) => !ONLY || ONLY.has(s.name));

async function main() {
  const began = Date.now();
  buildIfNeeded();

  // Database.
  const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `codexlb_bench_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  database = { admin, name };
  const dbUrl = new URL(admin);
  dbUrl.pathname = `/${name}`;
  log(`database ${name}`);

  // Fake upstream.
  const fakePort = await freePort();
  const fake = await start(
    'fake upstream',
    ['apps/api/dist/fake-upstream/main.js', '--port', String(fakePort), '--usage-growth', '0', '--no-record'],
    {},
    /listening on/,
  );
  const fakeBase = `http://127.0.0.1:${fakePort}`;
  const seats = [];
  for (let i = 0; i < 5; i += 1) {
    const { json } = await api(fakeBase, 'POST', '/__fake/accounts', {
      body: { email: `bench-${i}@example.test`, planType: 'pro' },
    });
    seats.push(json);
  }

  // Bare proxy on its own seat.
  const barePort = await freePort();
  const bareSeat = seats[4];
  // BENCH_CPU_PROF=<dir> writes V8 CPU profiles of the bare proxy (<dir>/bare) and the product
  // (<dir>/product), on exit, for hot-path analysis.
  // BENCH_NODE_FLAGS adds V8/Node flags to both (e.g. --trace-gc).
  const profArgs = (name) => [
    ...(process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', '--cpu-prof-dir', join(resolve(process.env.BENCH_CPU_PROF), name)]
      : []),
    ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
  ];
  const bare = await start(
    'bare proxy',
    [...profArgs('bare'), join(BENCH, 'bare-proxy.mjs')],
    {
      BARE_PORT: String(barePort),
      BARE_UPSTREAM: fakeBase,
      BARE_TOKEN: bareSeat.authJson.tokens.access_token,
      BARE_ACCOUNT_ID: bareSeat.authJson.tokens.account_id ?? bareSeat.chatgptAccountId,
    },
    /listening/,
  );

  // The product.
  const apiPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'codex-lb-bench-'));
  const product = await start(
    'codex-lb',
    [
      ...profArgs('product'),
      ...(process.env.BENCH_PRODUCT_FLAGS ?? '').split(' ').filter(Boolean),
      'apps/api/dist/main.js',
    ],
    {
      NODE_ENV: 'production',
      CODEX_LB_DATABASE_URL: dbUrl.toString(),
      CODEX_LB_PORT: String(apiPort),
      CODEX_LB_HOST: '127.0.0.1',
      CODEX_LB_DATA_DIR: dataDir,
      CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CODEX_LB_AUTH_BASE_URL: fakeBase,
      CODEX_LB_UPSTREAM_BASE_URL: `${fakeBase}/backend-api`,
      CODEX_LB_USAGE_POLL_INTERVAL_SECONDS: '0',
      CODEX_LB_LOG_LEVEL: 'warn',
      CODEX_LB_OAUTH_CALLBACK_PORT: '0',
    },
  );
  const apiBase = `http://127.0.0.1:${apiPort}`;
  await waitForHttp(`${apiBase}/api/health`, product);
  log(`product up after ${((Date.now() - began) / 1000).toFixed(1)} s`);
  const login = await api(apiBase, 'POST', '/api/dashboard-auth/password/login', {
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  const cookie = sessionCookie(login.headers);
  for (const seat of seats.slice(0, 4)) {
    await api(apiBase, 'POST', '/api/accounts/import', { cookie, body: seat.authJson });
  }
  const { json: created } = await api(apiBase, 'POST', '/api/api-keys', { cookie, body: { name: 'bench' } });
  log(`setup done in ${((Date.now() - began) / 1000).toFixed(1)} s (4 accounts, 1 key)`);

  const targets = {
    bare: {
      name: 'bare proxy',
      pid: bare.pid,
      upstreamPid: fake.pid,
      origin: `http://127.0.0.1:${barePort}`,
      apiKey: null,
    },
    product: { name: 'codex-lb', pid: product.pid, upstreamPid: fake.pid, origin: apiBase, apiKey: created.key },
  };

  // Interleaved slices: each scenario runs ROUNDS times against the product, each time next to a
  // slice of the bare proxy (alternating which goes first), so load from anything else on the
  // machine hits both alike. A row sums its slices; ratios compare paired slices only.
  const slice = async (scenario, target, connections, durationMs) => {
    const result = await runLoad(target, {
      shape: scenario.shape,
      path: scenario.path,
      connections,
      warmupMs: SLICE_WARMUP_MS,
      durationMs,
      maxRequests: MAX_REQUESTS,
    });
    if (result.bad > 0)
      log(`${scenario.name} on ${target.name}: ${result.bad} bad responses, e.g. ${result.badSample}`);
    return result;
  };
  const aggregate = (slices) => {
    const hist = new Histogram();
    const sum = (f) => slices.reduce((a, r) => a + r[f], 0);
    for (const r of slices) hist.merge(r.histogram, r.histogramMaxUs);
    const ok = sum('ok');
    const elapsedMs = sum('elapsedMs');
    return {
      connections: slices[0].connections,
      slices: slices.length,
      elapsedMs,
      ok,
      bad: sum('bad'),
      badSample: slices.find((r) => r.badSample)?.badSample ?? null,
      rps: ok / (elapsedMs / 1000),
      sliceRps: slices.map((r) => Math.round(r.ok / (r.elapsedMs / 1000))),
      p50Ms: hist.quantile(0.5) / 1000,
      p99Ms: hist.quantile(0.99) / 1000,
      maxMs: hist.max / 1000,
      cpuMsPerReq: ((sum('targetTicks') / CLK_TCK) * 1000) / Math.max(1, ok),
      sysCpuMsPerReq: ((sum('targetSysTicks') / CLK_TCK) * 1000) / Math.max(1, ok),
      upstreamCpuMsPerReq: ((sum('upstreamTicks') / CLK_TCK) * 1000) / Math.max(1, ok),
      rssMb: Math.max(...slices.map((r) => r.rssMb)),
      bytesPerResponse: (sum('mbReceived') * 1e6) / Math.max(1, ok),
    };
  };
  const rows = [];
  const reference = SCENARIOS[0];
  if (WARMUP_MS > 0) {
    log(`warming up (${WARMUP_MS / 1000} s per target and scenario, not measured)`);
    const warm = (scenario, target) =>
      runLoad(target, {
        shape: scenario.shape,
        path: scenario.path,
        connections: CONNECTIONS,
        warmupMs: WARMUP_MS,
        durationMs: 1,
        maxRequests: MAX_REQUESTS,
      });
    await warm(reference, targets.bare);
    for (const s of CHOSEN) await warm(s, targets.product);
  }
  for (const connections of [CONNECTIONS, 1]) {
    const durationMs = Math.round((connections === 1 ? SINGLE_DURATION_MS : DURATION_MS) / ROUNDS);
    for (const s of CHOSEN) {
      const bareSlices = [];
      const productSlices = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const bareFirst = round % 2 === 0;
        if (bareFirst) bareSlices.push(await slice(reference, targets.bare, connections, durationMs));
        productSlices.push(await slice(s, targets.product, connections, durationMs));
        if (!bareFirst) bareSlices.push(await slice(reference, targets.bare, connections, durationMs));
      }
      const bareRow = {
        scenario: s.name,
        target: s === reference ? 'bare proxy' : 'bare proxy (codex req)',
        ...aggregate(bareSlices),
      };
      const productRow = { scenario: s.name, target: 'codex-lb', ...aggregate(productSlices) };
      if (connections === 1) productRow.addedP50Ms = productRow.p50Ms - bareRow.p50Ms;
      else productRow.rpsRatio = productRow.rps / bareRow.rps;
      // CPU per request is the figure least moved by other load on the machine.
      productRow.cpuRatio = productRow.cpuMsPerReq / bareRow.cpuMsPerReq;
      rows.push(bareRow, productRow);
      for (const r of [bareRow, productRow]) {
        log(
          `${r.scenario.padEnd(12)} ${r.target.padEnd(22)} c=${String(connections).padStart(2)}  ${fmt(r.rps, 0).padStart(5)} req/s  p50 ${fmt(r.p50Ms, 2)} ms  cpu ${fmt(r.cpuMsPerReq, 2)} ms/req (sys ${fmt(r.sysCpuMsPerReq, 2)})`,
        );
      }
    }
  }

  const verdicts = [];
  for (const s of CHOSEN) {
    const loaded = rows.find((r) => r.scenario === s.name && r.target === 'codex-lb' && r.connections === CONNECTIONS);
    const single = rows.find((r) => r.scenario === s.name && r.target === 'codex-lb' && r.connections === 1);
    verdicts.push({
      scenario: s.name,
      check: `req/s >= ${TARGET_RPS_RATIO}x bare (${CONNECTIONS} conns)`,
      value: `${fmt(loaded.rpsRatio, 2)}x`,
      pass: loaded.rpsRatio >= TARGET_RPS_RATIO && loaded.bad === 0,
    });
    verdicts.push({
      scenario: s.name,
      check: `added p50 <= ${TARGET_ADDED_P50_MS} ms (1 conn)`,
      value: `${fmt(single.addedP50Ms, 2)} ms`,
      pass: single.addedP50Ms <= TARGET_ADDED_P50_MS && single.bad === 0,
    });
  }

  const out = [];
  out.push('');
  out.push(
    `codex-lb proxy benchmark  (node ${process.version}, ${cpus().length} CPUs; each row = ${ROUNDS} slices interleaved with the bare proxy: ${CONNECTIONS} conns ${DURATION_MS / 1000} s, 1 conn ${SINGLE_DURATION_MS / 1000} s measured in total, ${SLICE_WARMUP_MS} ms warm-up per slice after ${WARMUP_MS / 1000} s unmeasured per target and scenario)`,
  );
  out.push('Bodies: Codex first turn ~40 KB (9 tools), chat ~40 KB (same content). Upstream: fake, no delay.');
  out.push(
    "The bare proxy cannot translate chat, so chat rows are compared with its codex-stream figure ('bare proxy (codex req)').",
  );
  out.push(
    'CPU ms/req and RSS are of the target process only; the fake upstream and the load generator run beside it on the same cores.\nOn a shared machine req/s and latency move with other load; CPU vs bare (CPU ms/req ratio) moves least.',
  );
  out.push('');
  out.push(table(rows));
  out.push('');
  for (const v of verdicts)
    out.push(`${v.pass ? 'PASS' : 'MISS'}  ${v.scenario.padEnd(12)} ${v.check.padEnd(36)} ${v.value}`);
  out.push('');
  process.stdout.write(`${out.join('\n')}\n`);

  mkdirSync(join(BENCH, 'results'), { recursive: true });
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    commit = null;
  }
  writeFileSync(
    join(BENCH, 'results', 'latest.json'),
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        commit,
        node: process.version,
        cpus: cpus().length,
        settings: {
          connections: CONNECTIONS,
          rounds: ROUNDS,
          sliceWarmupMs: SLICE_WARMUP_MS,
          warmupMs: WARMUP_MS,
          durationMs: DURATION_MS,
          singleDurationMs: SINGLE_DURATION_MS,
        },
        rows,
        verdicts,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote bench/results/latest.json; total ${((Date.now() - began) / 1000).toFixed(0)} s`);
  rmSync(dataDir, { recursive: true, force: true });
}

main()
  .then(
    () => cleanup(),
    async (err) => {
      log(`failed: ${err?.stack ?? err}`);
      await cleanup();
      process.exitCode = 1;
    },
  )
  .finally(() => process.exit(process.exitCode ?? 0));
