// `npm run bench`: the proxy against the limit. Starts the fake upstream, a bare pass-through proxy
// (no auth, no parsing), nginx as a key-checking pass-through (when `nginx` is on PATH) and the
// product on a fresh Postgres database, each as its own process, loads them with Codex-shaped and
// Chat Completions requests from a separate load process, and prints throughput, latency, CPU per
// request and RSS, with the product's ratios to the bare proxy and to nginx measured in the same
// run, and the product's RSS after the run. Results also go to bench/results/latest.json. Exits 0
// when a target is missed (the table says PASS or MISS); non-zero only when the run itself fails.
// Everything it starts is stopped on every exit path: normal end, error, Ctrl-C/SIGTERM/SIGHUP,
// and (through bench/reaper.mjs) even when the bench itself is killed.
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
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
import { allocatorEnv, allocatorOf } from '../scripts/allocator.mjs';
import { apiNodeFlags } from '../scripts/api-node-flags.mjs';
import { childJob, keptChild } from './child-job.mjs';
import { Histogram } from './histogram.mjs';
import { runRedisScenario } from './redis.mjs';
import { idleLines, runWebSocketScenarios } from './ws.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(ROOT, 'bench');
const require = createRequire(join(ROOT, 'apps/api/package.json'));
const pg = require('pg');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
// Eighteen rounds of 2 s slices for the rows at full load, six for the single-connection rows: a
// multiple of the three scenarios and of the three targets, so the rotations below give each
// scenario and each target the first place equally often (four rounds gave codex-stream and the
// bare proxy two of them). On two shared cores one round's side-by-side slices differ by ~9 % in
// their req/s ratio (standard deviation over 24 rounds): with six rounds a row's ratio had a
// standard error of ~0.04, and runs of the same code read codex-stream at 0.81-1.00x. Eighteen
// rounds bring it to ~0.02, printed with each verdict (bench/BASELINE.md, twenty-fourth session).
// The latency rows' added p50 is far inside its target, so they keep six.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 18);
const SINGLE_ROUNDS = Number(process.env.BENCH_SINGLE_ROUNDS ?? 6);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000 * ROUNDS); // measured, summed over slices
// Each slice's own unmeasured start (a target idles while the others run their slices).
const SLICE_WARMUP_MS = Number(process.env.BENCH_SLICE_WARMUP_MS ?? 500);
// Before any slice is measured, each target serves each scenario unmeasured for this long (45 s of
// load per target in all), so the rows compare steady states, not how fast each warms up. 3 s was
// not enough for either proxy: in the rounds after it codex-lb was still compiling (158 optimized
// compilations, ~1.4 s of compiler CPU in four rounds), and the bare proxy had not yet reached its
// own regime, a full collection every fraction of a second, which begins ~40 s into its load
// (bench/BASELINE.md, seventeenth session).
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 15000);
const SINGLE_DURATION_MS = Number(process.env.BENCH_SINGLE_DURATION_MS ?? 6000);
/** After all the warm-ups, each target serves this long again just before the first round. */
const REWARM_MS = 3000;
const MAX_REQUESTS = 500_000;
const ADMIN_PASSWORD = 'bench-admin-password-1';
const TARGET_RPS_RATIO = 0.85;
const TARGET_ADDED_P50_MS = 1;
const TARGET_RSS_AFTER_MB = 200;
/** When the RSS after the run is read a second time (from the last HTTP request). */
const RSS_LATER_MS = Number(process.env.BENCH_RSS_LATER_MS ?? 15000);
// nginx's worker count; 1 matches the single Node process of the bare proxy and of codex-lb.
const NGINX_WORKERS = Number(process.env.BENCH_NGINX_WORKERS ?? 1);
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

const children = new Set();
const tempDirs = new Set();
let database = null; // { admin: connection string, name }
let cleaning = null;

// The reaper outlives this process (own process group, stdin from us): whatever is still listed
// when our end of the pipe closes, it stops. See bench/reaper.mjs.
const reaper = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'reaper.mjs')], {
  detached: true,
  stdio: ['pipe', 'ignore', 'inherit'],
});
reaper.unref();
reaper.stdin.on('error', () => {});
function tellReaper(line) {
  if (reaper.stdin.writable) reaper.stdin.write(`${line}\n`);
}

/** Registers a started process: tracked for cleanup here and by the reaper. */
function track(child, name, { group = false } = {}) {
  child.benchName = name;
  children.add(child);
  tellReaper(`${group ? 'group' : 'pid'} ${child.pid}`);
  child.once('exit', () => {
    children.delete(child);
    tellReaper(`gone ${child.pid}`);
  });
  return child;
}

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

function start(name, args, env = {}, ready = null, command = process.execPath) {
  const group = command !== process.execPath;
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A non-Node target (nginx) gets its own process group, so its workers are stopped with it.
    detached: group,
  });
  track(child, name, { group });
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
  const started = new Promise((res, rej) => {
    child.once('error', (err) => rej(new Error(`${name} could not start: ${err.message}`)));
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

function kill(child, sig) {
  try {
    // A detached child leads its own process group: signal the group (nginx master and workers).
    if (child.spawnargs[0] !== process.execPath && child.pid) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {}
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  kill(child, 'SIGTERM');
  const timer = setTimeout(() => kill(child, 'SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
  // nginx's workers may outlive a killed master by a moment; the group gets a last SIGKILL.
  if (child.spawnargs[0] !== process.execPath) kill(child, 'SIGKILL');
}

async function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...children].map(stopChild));
    for (const dir of tempDirs) {
      rmSync(dir, { recursive: true, force: true });
      tellReaper(`dirgone ${dir}`);
    }
    tempDirs.clear();
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
      tellReaper('dbgone');
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (err) => {
    log(`${event}: ${err?.stack ?? err}`);
    void cleanup().finally(() => process.exit(1));
  });
}
// Last resort on a synchronous exit: no waiting is possible here, so SIGKILL what is left (the
// reaper then drops the database).
process.on('exit', () => {
  for (const child of children) kill(child, 'SIGKILL');
});

// ---------------------------------------------------------------- /proc sampling

/** [user, system] CPU ticks of a process, all threads. */
function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after "(comm)": state is index 0, so utime (14th overall) is 11, stime is 12.
    return [Number(fields[11]), Number(fields[12])];
  } catch {
    return [0, 0];
  }
}

/** Summed over a target's processes (nginx: master and workers). */
function cpuTicksOf(pids) {
  return pids.map(cpuTicks).reduce((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);
}

/** Heap used and total and external memory (MB) from the product's /metrics, or null. */
async function productMemory(origin) {
  try {
    const response = await request(`${origin}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
    const text = await response.body.text();
    const value = (name) => {
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
      return match ? Number(match[1]) / (1024 * 1024) : null;
    };
    return {
      heapUsedMb: value('nodejs_heap_size_used_bytes'),
      heapTotalMb: value('nodejs_heap_size_total_bytes'),
      externalMb: value('nodejs_external_memory_bytes'),
    };
  } catch {
    return null;
  }
}

function rssMb(pid) {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Whole-machine CPU ticks from /proc/stat: [busy (user, nice, system, irq, softirq), idle (idle +
 * iowait)]. Steal is neither (the hypervisor's), and guest time is already counted in user.
 */
function machineTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return [f[0] + f[1] + f[2] + (f[5] ?? 0) + (f[6] ?? 0), f[3] + (f[4] ?? 0)];
}

/** CPU ticks of every PostgreSQL process (the request log's writes run there, on the same cores). */
function postgresTicks() {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return total;
}

/** What the whole machine did around a slice: busy and idle ticks, Postgres, the load process. */
function machineSample(loadPid) {
  const [busy, idle] = machineTicks();
  const load = cpuTicks(loadPid);
  return { busy, idle, postgres: postgresTicks(), load: load[0] + load[1] };
}

/**
 * Where a process's resident memory is, from /proc/<pid>/smaps: the executable's own pages (its
 * code and read-only data, shared with every process running it), the C allocator's main heap
 * ([heap]), and anonymous mappings (V8's heap pages, the allocator's other arenas, thread stacks).
 */
function rssParts(pid) {
  try {
    const parts = { binary: 0, brk: 0, anon: 0, other: 0 };
    let part = 'other';
    for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) {
        const name = head[1];
        part = name === '' ? 'anon' : name === '[heap]' ? 'brk' : name === EXEC_PATH ? 'binary' : 'other';
        continue;
      }
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (rss) parts[part] += Number(rss[1]) / 1024;
    }
    return parts;
  } catch {
    return null;
  }
}
const EXEC_PATH = (() => {
  try {
    return realpathSync(process.execPath);
  } catch {
    return process.execPath;
  }
})();

const rssMbOf = (pids) => pids.reduce((a, pid) => a + rssMb(pid), 0);

/** Direct children of a process (nginx's workers), from /proc. */
function childPids(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {}
  }
  return out;
}

// ---------------------------------------------------------------- nginx

/** The `nginx` binary's version line, or null when there is none on PATH. */
function nginxVersion() {
  if (process.env.BENCH_NGINX === '0') return null;
  const probe = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return null;
  return (probe.stderr || probe.stdout).trim().replace(/^nginx version:\s*/, '');
}

/**
 * nginx as the key-checking pass-through the product is compared with: the one benchmark key
 * checked from the Authorization header (401 otherwise), the seat's token and account id set,
 * everything else passed through, the answer streamed unbuffered over keep-alive HTTP/1.1
 * upstream connections. Everything it writes stays in its own temp dir.
 */
function nginxConf(dir, { port, upstreamPort, apiKey, token, accountId }) {
  for (const [what, v] of Object.entries({ apiKey, token, accountId })) {
    if (!/^[\w.~+/=-]+$/.test(v)) throw new Error(`nginx config: unexpected characters in the ${what}`);
  }
  const unauthorized = JSON.stringify({
    error: {
      message: 'Missing or invalid API key',
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      param: null,
    },
  });
  return `# Generated by bench/run.mjs for one run; removed with its directory.
daemon off;
master_process on;
worker_processes ${NGINX_WORKERS};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # Codex sends session_id; nginx drops headers with underscores unless told otherwise.
  underscores_in_headers on;
  client_max_body_size 32m;
  client_body_buffer_size 1m;
  keepalive_timeout 60s;
  keepalive_requests 1000000;
  upstream fake {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  map_hash_bucket_size 256; # room for the whole "Bearer <key>" string
  map $http_authorization $key_ok {
    default 0;
    "Bearer ${apiKey}" 1;
  }
  server {
    listen 127.0.0.1:${port};
    default_type application/json;
    location /backend-api/codex/ {
      if ($key_ok = 0) {
        return 401 '${unauthorized}';
      }
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer ${token}";
      proxy_set_header chatgpt-account-id "${accountId}";
      proxy_buffering off;
      proxy_read_timeout 60s;
    }
    location / {
      return 404;
    }
  }
}
`;
}

async function startNginx(settings) {
  const dir = mkdtempSync(join(tmpdir(), 'codex-lb-bench-nginx-'));
  tempDirs.add(dir);
  tellReaper(`dir ${dir}`);
  chmodSync(dir, 0o711); // workers run as an unprivileged user when the bench runs as root
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, settings), { mode: 0o600 });
  const master = await start('nginx', ['-p', `${dir}/`, '-c', conf, '-e', join(dir, 'error.log')], {}, null, 'nginx');
  const origin = `http://127.0.0.1:${settings.port}`;
  try {
    await waitForHttp(`${origin}/`, master, 15_000);
  } catch (err) {
    const errors = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
    throw new Error(`${err.message}\n${errors}`);
  }
  const workers = childPids(master.pid);
  if (workers.length === 0) throw new Error('nginx started no worker process');
  return { master, workers, origin, dir };
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

/** The one load generator, kept for every run (bench/child-job.mjs). */
const loadGenerator = keptChild(() =>
  track(fork(join(BENCH, 'load.mjs'), [], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }), 'load'),
);

async function runLoad(target, config) {
  const child = loadGenerator.get();
  const groups = [target.pids, [target.upstreamPid]];
  let startTicks = null;
  let endTicks = null;
  let startMachine = null;
  let endMachine = null;
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMbOf(target.pids));
  }, 100);
  let r;
  try {
    r = await childJob(
      child,
      'load generator',
      { type: 'run', config: { ...config, origin: target.origin, apiKey: target.apiKey } },
      (msg) => {
        if (msg.type === 'measuring') {
          startTicks = groups.map(cpuTicksOf);
          startMachine = machineSample(child.pid);
        } else if (msg.type === 'measured') {
          endTicks = groups.map(cpuTicksOf);
          endMachine = machineSample(child.pid);
        }
        peakRss = Math.max(peakRss, rssMbOf(target.pids));
      },
    );
  } finally {
    clearInterval(sampler);
  }
  return {
    ...r,
    targetTicks: endTicks[0][0] + endTicks[0][1] - startTicks[0][0] - startTicks[0][1],
    targetSysTicks: endTicks[0][1] - startTicks[0][1],
    upstreamTicks: endTicks[1][0] + endTicks[1][1] - startTicks[1][0] - startTicks[1][1],
    // A backend that exits during the slice takes its ticks along: never below zero.
    postgresTicks: Math.max(0, endMachine.postgres - startMachine.postgres),
    loadTicks: endMachine.load - startMachine.load,
    machineBusyTicks: endMachine.busy - startMachine.busy,
    machineIdleTicks: endMachine.idle - startMachine.idle,
    rssMb: peakRss,
  };
}

// ---------------------------------------------------------------- output

const fmt = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
const times = (v, digits = 2) => (v === undefined || v === null ? '' : `${fmt(v, digits)}x`);

function layout(head, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The first three cells of a row in every table: scenario, target, connections. */
const rowLabel = (r) => [r.scenario, r.target, String(r.connections)];

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
    'req/s vs nginx',
    'added p50 ms',
    'CPU vs bare',
    'CPU vs nginx',
    'errors',
  ];
  const body = rows.map((r) => [
    ...rowLabel(r),
    fmt(r.rps, 0),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    fmt(r.cpuMsPerReq, 3),
    fmt(r.rssMb, 0),
    times(r.rpsRatio),
    times(r.rpsRatioNginx),
    r.addedP50Ms === undefined ? '' : fmt(r.addedP50Ms, 2),
    times(r.cpuRatio, 1),
    times(r.cpuRatioNginx, 1),
    String(r.bad),
  ]);
  return layout(head, body);
}

/**
 * Where the two cores' time went per request, for the rows measured at full load: the target, the
 * fake upstream, PostgreSQL (the request log), the load generator, the rest, and the idle share.
 * A target that spends more elsewhere (Postgres) or leaves cores idle loses req/s beyond its own CPU.
 */
function machineTable(rows) {
  const head = [
    'scenario',
    'target',
    'conns',
    'target',
    'upstream',
    'postgres',
    'load gen',
    'other',
    'machine',
    'idle',
  ];
  const body = rows
    .filter((r) => r.machineCpuMsPerReq !== undefined && r.connections > 1)
    .map((r) => [
      ...rowLabel(r),
      fmt(r.cpuMsPerReq, 3),
      fmt(r.upstreamCpuMsPerReq, 3),
      fmt(r.postgresCpuMsPerReq, 3),
      fmt(r.loadCpuMsPerReq, 3),
      fmt(r.machineCpuMsPerReq - r.cpuMsPerReq - r.upstreamCpuMsPerReq - r.postgresCpuMsPerReq - r.loadCpuMsPerReq, 3),
      fmt(r.machineCpuMsPerReq, 3),
      `${fmt(r.idleShare * 100, 0)} %`,
    ]);
  return layout(head, body);
}

/** Every codex-lb figure divided by the same figure of each reference (bare proxy, nginx). */
function ratioTable(rows) {
  const head = ['scenario', 'vs', 'conns', 'req/s', 'by round', 'p50', 'p99', 'CPU/req', 'RSS'];
  const body = [];
  for (const r of rows) {
    if (!r.ratios) continue;
    for (const [vs, q] of Object.entries(r.ratios)) {
      body.push([
        r.scenario,
        vs,
        String(r.connections),
        times(q.rps),
        q.rpsByRound ? `${fmt(Math.min(...q.rpsByRound), 2)}-${fmt(Math.max(...q.rpsByRound), 2)}` : '',
        times(q.p50),
        times(q.p99),
        times(q.cpu),
        times(q.rss),
      ]);
    }
  }
  return layout(head, body);
}

/**
 * ' (+-0.02 over 18 rounds)': the standard error of the mean of the rounds' side-by-side ratios,
 * how far the row's ratio may move in another run on this machine ('' for fewer than two rounds).
 */
function spreadOf(byRound) {
  if (!byRound || byRound.length < 2) return '';
  const n = byRound.length;
  const mean = byRound.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(byRound.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return ` (+-${fmt(sd / Math.sqrt(n), 2)} over ${n} rounds)`;
}

function ratiosTo(row, ref) {
  return {
    rps: row.rps / ref.rps,
    // Each round's slices ran side by side: their ratios show how far other load moved the row.
    rpsByRound:
      row.sliceRps && ref.sliceRps?.length === row.sliceRps.length
        ? row.sliceRps.map((rps, i) => rps / ref.sliceRps[i])
        : null,
    p50: row.p50Ms / ref.p50Ms,
    p99: row.p99Ms / ref.p99Ms,
    cpu: row.cpuMsPerReq / ref.cpuMsPerReq,
    rss: row.rssMb / ref.rssMb,
  };
}

// ---------------------------------------------------------------- main

const SCENARIOS = [
  { name: 'codex-stream', shape: 'codex', path: '/backend-api/codex/responses', bare: 'codex-stream' },
  { name: 'chat-stream', shape: 'chat-stream', path: '/v1/chat/completions', bare: 'codex-stream' },
  { name: 'chat-json', shape: 'chat-json', path: '/v1/chat/completions', bare: 'codex-stream' },
];

// BENCH_ONLY=chat-json,... runs a subset (the references' codex-stream always runs).
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const CHOSEN = SCENARIOS.filter((s) => !ONLY || ONLY.has(s.name));

async function main() {
  const began = Date.now();
  buildIfNeeded();
  const nginxVersionLine = nginxVersion();
  if (!nginxVersionLine) {
    log(
      process.env.BENCH_NGINX === '0'
        ? 'BENCH_NGINX=0: nginx not measured'
        : 'nginx is not on PATH: not measured (Debian: apt-get install nginx-light)',
    );
  }

  // Database.
  const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `codexlb_bench_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  database = { admin, name };
  tellReaper(`db ${admin} ${name}`);
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

  // Bare proxy on its own seat (nginx uses the same one).
  const barePort = await freePort();
  const bareSeat = seats[4];
  const bareToken = bareSeat.authJson.tokens.access_token;
  const bareAccountId = bareSeat.authJson.tokens.account_id ?? bareSeat.chatgptAccountId;
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
    { BARE_PORT: String(barePort), BARE_UPSTREAM: fakeBase, BARE_TOKEN: bareToken, BARE_ACCOUNT_ID: bareAccountId },
    /listening/,
  );

  // The product.
  const apiPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'codex-lb-bench-'));
  tempDirs.add(dataDir);
  tellReaper(`dir ${dataDir}`);
  const productEnv = {
    // The allocator the launchers (npm start, the Docker image) run the API with.
    ...allocatorEnv(),
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
    // The load generator is one tenant with one key at up to 50 connections: the fairness caps
    // (defaults 64 per user, 32 per key) would queue it, and the bench measures throughput.
    // The caps' own cost (a slot taken and given back per request) is still in every figure.
    CODEX_LB_MAX_CONCURRENT_PER_USER: '256',
    CODEX_LB_MAX_CONCURRENT_PER_KEY: '256',
    // The WebSocket scenarios hold a thousand sockets of the one key open (bench/ws.mjs).
    CODEX_LB_MAX_WEBSOCKETS_PER_USER: '5000',
    CODEX_LB_MAX_WEBSOCKETS_PER_KEY: '5000',
  };
  // The heap flags npm start and the Docker image give the API (scripts/api-node-flags.mjs);
  // BENCH_PRODUCT_FLAGS comes after them, so it can override one. The Redis replica gets the same.
  const productFlags = [...apiNodeFlags(), ...(process.env.BENCH_PRODUCT_FLAGS ?? '').split(' ').filter(Boolean)];
  const product = await start(
    'codex-lb',
    [...profArgs('product'), ...productFlags, 'apps/api/dist/main.js'],
    productEnv,
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
      pids: [bare.pid],
      upstreamPid: fake.pid,
      origin: `http://127.0.0.1:${barePort}`,
      apiKey: null,
    },
    product: { name: 'codex-lb', pids: [product.pid], upstreamPid: fake.pid, origin: apiBase, apiKey: created.key },
  };
  if (nginxVersionLine) {
    const nginx = await startNginx({
      port: await freePort(),
      upstreamPort: fakePort,
      apiKey: created.key,
      token: bareToken,
      accountId: bareAccountId,
    });
    // Checked before measuring: a wrong key is refused, the right one streams.
    const refused = await request(`${nginx.origin}/backend-api/codex/responses`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-key', 'content-type': 'application/json' },
      body: '{}',
    });
    await refused.body.dump();
    if (refused.statusCode !== 401) throw new Error(`nginx answered ${refused.statusCode} to a wrong key, not 401`);
    targets.nginx = {
      name: 'nginx',
      pids: [nginx.master.pid, ...nginx.workers],
      upstreamPid: fake.pid,
      origin: nginx.origin,
      apiKey: created.key,
    };
    log(`nginx ${nginxVersionLine} up (${nginx.workers.length} worker${nginx.workers.length === 1 ? '' : 's'})`);
  }
  const references = [targets.bare, targets.nginx].filter(Boolean);

  // Interleaved slices: each scenario runs ROUNDS times against the product, each time next to a
  // slice of each reference (the order rotating every round), so load from anything else on the
  // machine hits all alike; a round runs every scenario in turn. A row sums its slices; ratios
  // compare slices of the same rounds.
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
      sliceCpuMsPerReq: slices.map((r) => Number((((r.targetTicks / CLK_TCK) * 1000) / Math.max(1, r.ok)).toFixed(3))),
      p50Ms: hist.quantile(0.5) / 1000,
      p99Ms: hist.quantile(0.99) / 1000,
      maxMs: hist.max / 1000,
      cpuMsPerReq: ((sum('targetTicks') / CLK_TCK) * 1000) / Math.max(1, ok),
      sysCpuMsPerReq: ((sum('targetSysTicks') / CLK_TCK) * 1000) / Math.max(1, ok),
      upstreamCpuMsPerReq: ((sum('upstreamTicks') / CLK_TCK) * 1000) / Math.max(1, ok),
      postgresCpuMsPerReq: ((sum('postgresTicks') / CLK_TCK) * 1000) / Math.max(1, ok),
      loadCpuMsPerReq: ((sum('loadTicks') / CLK_TCK) * 1000) / Math.max(1, ok),
      machineCpuMsPerReq: ((sum('machineBusyTicks') / CLK_TCK) * 1000) / Math.max(1, ok),
      idleShare: sum('machineIdleTicks') / Math.max(1, sum('machineIdleTicks') + sum('machineBusyTicks')),
      rssMb: Math.max(...slices.map((r) => r.rssMb)),
      bytesPerResponse: (sum('mbReceived') * 1e6) / Math.max(1, ok),
    };
  };
  const rows = [];
  const reference = SCENARIOS[0];
  if (WARMUP_MS > 0) {
    log(`warming up (${WARMUP_MS / 1000} s per target and scenario, not measured)`);
    const warm = (scenario, target, ms = WARMUP_MS) =>
      runLoad(target, {
        shape: scenario.shape,
        path: scenario.path,
        connections: CONNECTIONS,
        warmupMs: ms,
        durationMs: 1,
        maxRequests: MAX_REQUESTS,
      });
    for (const ref of references) await warm(reference, ref);
    for (const s of CHOSEN) await warm(s, targets.product);
    // Then every target once more, briefly, in the first round's order: the references had idled
    // through the product's whole warm-up, and the bare proxy's first slice came out cold (0.46 and
    // 0.88 ms of CPU per request against 0.34-0.40 in its later slices; bench/BASELINE.md).
    for (const t of [...references, targets.product]) await warm(reference, t, Math.min(WARMUP_MS, REWARM_MS));
  }
  for (const connections of [CONNECTIONS, 1]) {
    const rounds = connections === 1 ? SINGLE_ROUNDS : ROUNDS;
    const durationMs = Math.round((connections === 1 ? SINGLE_DURATION_MS : DURATION_MS) / rounds);
    const order = [...references, targets.product];
    // Rounds go over every scenario in turn (rotating which goes first), not one scenario's rounds
    // after another's: each row's slices are spread over the whole run, so no row gets the first
    // seconds after the warm-up (measured: the scenario measured first came out ~15 % cheaper in
    // codex-lb CPU per request than the same scenario measured later).
    const slices = new Map(CHOSEN.map((s) => [s, new Map(order.map((t) => [t, []]))]));
    for (let round = 0; round < rounds; round += 1) {
      const first = round % CHOSEN.length;
      for (const s of [...CHOSEN.slice(first), ...CHOSEN.slice(0, first)]) {
        const shift = round % order.length;
        for (const t of [...order.slice(shift), ...order.slice(0, shift)]) {
          slices
            .get(s)
            .get(t)
            .push(await slice(t === targets.product ? s : reference, t, connections, durationMs));
        }
      }
    }
    for (const s of CHOSEN) {
      const refRows = references.map((t) => ({
        scenario: s.name,
        target: s === reference ? t.name : `${t.name} (codex req)`,
        ...aggregate(slices.get(s).get(t)),
      }));
      const [bareRow, nginxRow] = refRows;
      const productRow = { scenario: s.name, target: 'codex-lb', ...aggregate(slices.get(s).get(targets.product)) };
      productRow.ratios = { bare: ratiosTo(productRow, bareRow) };
      if (nginxRow) productRow.ratios.nginx = ratiosTo(productRow, nginxRow);
      if (connections === 1) {
        productRow.addedP50Ms = productRow.p50Ms - bareRow.p50Ms;
        if (nginxRow) productRow.addedP50MsNginx = productRow.p50Ms - nginxRow.p50Ms;
      } else {
        productRow.rpsRatio = productRow.ratios.bare.rps;
        if (nginxRow) productRow.rpsRatioNginx = productRow.ratios.nginx.rps;
      }
      // CPU per request is the figure least moved by other load on the machine.
      productRow.cpuRatio = productRow.ratios.bare.cpu;
      if (nginxRow) productRow.cpuRatioNginx = productRow.ratios.nginx.cpu;
      rows.push(...refRows, productRow);
      for (const r of [...refRows, productRow]) {
        log(
          `${r.scenario.padEnd(12)} ${r.target.padEnd(22)} c=${String(connections).padStart(2)}  ${fmt(r.rps, 0).padStart(5)} req/s  p50 ${fmt(r.p50Ms, 2)} ms  cpu ${fmt(r.cpuMsPerReq, 3)} ms/req (sys ${fmt(r.sysCpuMsPerReq, 3)})  rss ${fmt(r.rssMb, 0)} MB`,
        );
      }
    }
  }

  // The product's RSS once the load is over and its log batches have been written.
  await new Promise((r) => setTimeout(r, 2000));
  const rssAfter = {
    product: rssMb(product.pid),
    bare: rssMb(bare.pid),
    nginx: targets.nginx ? rssMbOf(targets.nginx.pids) : null,
    // What the product's RSS holds then, from its own /metrics: V8's heap and the memory outside
    // it (Buffers' backing stores), so a high figure says whether it is garbage not yet collected.
    productMemory: await productMemory(apiBase),
    productParts: rssParts(product.pid),
    productLater: 0,
  };
  // V8 gives garbage-filled heap back only when it next collects, which an idle process may not
  // do for seconds (its memory reducer runs on a timer once allocation slows): also read later.
  await new Promise((r) => setTimeout(r, RSS_LATER_MS - 2000));
  rssAfter.productLater = rssMb(product.pid);

  // WebSocket scenarios (BENCH_ONLY=ws runs only these), after the RSS figure above.
  let websocket = null;
  if (!ONLY || ONLY.has('ws')) {
    websocket = await runWebSocketScenarios({
      bench: BENCH,
      start,
      track,
      freePort,
      cpuTicksOf,
      rssMb,
      clkTck: CLK_TCK,
      log,
      fake: { pid: fake.pid, base: fakeBase },
      bareSeat: { token: bareToken, accountId: bareAccountId },
      product: { pid: product.pid, origin: apiBase, apiKey: created.key },
      connections: CONNECTIONS,
      durationMs: DURATION_MS,
      rounds: ROUNDS,
      sliceWarmupMs: SLICE_WARMUP_MS,
    });
    rows.push(...websocket.rows);
  }

  // codex-stream against a second process with Redis configured (BENCH_ONLY=redis runs only this).
  let redis = null;
  if (!ONLY || ONLY.has('redis')) {
    redis = await runRedisScenario({
      root: ROOT,
      start,
      stopChild,
      waitForHttp,
      freePort,
      runLoad,
      aggregate,
      ratiosTo,
      spreadOf,
      log,
      productEnv,
      productFlags,
      product: targets.product,
      connections: CONNECTIONS,
      durationMs: DURATION_MS,
      rounds: ROUNDS,
      warmupMs: WARMUP_MS,
      sliceWarmupMs: SLICE_WARMUP_MS,
      maxRequests: MAX_REQUESTS,
    });
  }
  loadGenerator.stop();

  const verdicts = [];
  if (redis) verdicts.push(redis.verdict);
  for (const s of CHOSEN) {
    const loaded = rows.find((r) => r.scenario === s.name && r.target === 'codex-lb' && r.connections === CONNECTIONS);
    const single = rows.find((r) => r.scenario === s.name && r.target === 'codex-lb' && r.connections === 1);
    verdicts.push({
      scenario: s.name,
      check: `req/s >= ${TARGET_RPS_RATIO}x bare (${CONNECTIONS} conns)`,
      value: `${fmt(loaded.rpsRatio, 2)}x${spreadOf(loaded.ratios.bare.rpsByRound)}`,
      pass: loaded.rpsRatio >= TARGET_RPS_RATIO && loaded.bad === 0,
    });
    verdicts.push({
      scenario: s.name,
      check: `added p50 <= ${TARGET_ADDED_P50_MS} ms (1 conn)`,
      value: `${fmt(single.addedP50Ms, 2)} ms`,
      pass: single.addedP50Ms <= TARGET_ADDED_P50_MS && single.bad === 0,
    });
  }
  verdicts.push({
    scenario: 'all',
    check: `codex-lb RSS after the run <= ${TARGET_RSS_AFTER_MB} MB`,
    value: `${fmt(rssAfter.product, 0)} MB`,
    pass: rssAfter.product <= TARGET_RSS_AFTER_MB,
  });

  const out = [];
  out.push('');
  out.push(
    `codex-lb proxy benchmark  (node ${process.version}, ${cpus().length} CPUs${nginxVersionLine ? `, nginx ${nginxVersionLine} with ${NGINX_WORKERS} worker(s)` : ', nginx not measured'}; each row = slices interleaved with the references and the other scenarios: ${CONNECTIONS} conns ${ROUNDS} x ${DURATION_MS / ROUNDS / 1000} s, 1 conn ${SINGLE_ROUNDS} x ${SINGLE_DURATION_MS / SINGLE_ROUNDS / 1000} s measured, ${SLICE_WARMUP_MS} ms warm-up per slice after ${WARMUP_MS / 1000} s unmeasured per target and scenario)`,
  );
  out.push('Bodies: Codex first turn ~40 KB (9 tools), chat ~40 KB (same content). Upstream: fake, no delay.');
  const productProcessEnv = { ...process.env, ...productEnv };
  out.push(
    `codex-lb's allocator: ${allocatorOf(productProcessEnv) === 'jemalloc' ? `jemalloc (${productProcessEnv.MALLOC_CONF ?? "jemalloc's defaults"})` : "the system's malloc"}, as npm start runs it (CODEX_LB_ALLOCATOR=${process.env.CODEX_LB_ALLOCATOR || 'auto'}); its Node flags: ${productFlags.join(' ') || 'none'}.`,
  );
  out.push(
    'References: the bare Node proxy (no key check, no parsing) and nginx (key checked against the Authorization header, unbuffered pass-through, keep-alive upstream).',
  );
  out.push(
    "Neither reference translates chat, so chat rows are compared with their codex-stream figures ('(codex req)').",
  );
  out.push(
    'CPU ms/req and RSS are of the target only (nginx: master and workers); the fake upstream and the load generator run beside it on the same cores.\nOn a shared machine req/s and latency move with other load; CPU vs bare (CPU ms/req ratio) moves least.',
  );
  if (!nginxVersionLine) out.push('nginx: not on PATH, not measured (Debian: apt-get install nginx-light).');
  out.push('');
  out.push(table(rows));
  out.push('');
  out.push(
    'CPU ms per request across the machine at full load (busy time of all processes; idle: share of both cores):',
  );
  out.push(machineTable(rows));
  out.push('');
  out.push(
    "codex-lb figures as ratios (codex-lb / reference; req/s: higher is better, the rest: lower is better; 'by round': the lowest and highest req/s ratio of the rounds' side-by-side slices):",
  );
  out.push(ratioTable(rows));
  out.push('');
  out.push(...idleLines(websocket?.idle));
  if (websocket) out.push('');
  if (redis) out.push(...redis.lines, '');
  out.push(
    `RSS after the run (2 s after the last HTTP request): codex-lb ${fmt(rssAfter.product, 0)} MB, bare proxy ${fmt(rssAfter.bare, 0)} MB${rssAfter.nginx === null ? '' : `, nginx ${fmt(rssAfter.nginx, 0)} MB`}${rssAfter.productMemory ? ` (codex-lb heap ${fmt(rssAfter.productMemory.heapUsedMb, 0)} of ${fmt(rssAfter.productMemory.heapTotalMb, 0)} MB, external ${fmt(rssAfter.productMemory.externalMb, 0)} MB)` : ''}`,
  );
  if (rssAfter.productParts) {
    const p = rssAfter.productParts;
    out.push(
      `  codex-lb's RSS then: ${fmt(p.anon, 0)} MB anonymous (V8's heap, allocator arenas, stacks), ${fmt(p.brk, 0)} MB allocator main heap, ${fmt(p.binary, 0)} MB of the node executable, ${fmt(p.other, 0)} MB other; ${fmt(rssAfter.productLater, 0)} MB ${RSS_LATER_MS / 1000} s after the run`,
    );
  }
  out.push('');
  for (const v of verdicts)
    out.push(`${v.pass ? 'PASS' : 'MISS'}  ${v.scenario.padEnd(12)} ${v.check.padEnd(36)} ${v.value}`);
  out.push('');
  process.stdout.write(`${out.join('\n')}\n`);

  mkdirSync(join(BENCH, 'results'), { recursive: true });
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // A tree exported without .git (e.g. `git archive <commit>` to bench a commit) names it here.
    commit = process.env.BENCH_COMMIT ?? null;
  }
  writeFileSync(
    join(BENCH, 'results', 'latest.json'),
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        commit,
        node: process.version,
        nginx: nginxVersionLine,
        cpus: cpus().length,
        settings: {
          connections: CONNECTIONS,
          rounds: ROUNDS,
          singleRounds: SINGLE_ROUNDS,
          sliceWarmupMs: SLICE_WARMUP_MS,
          warmupMs: WARMUP_MS,
          durationMs: DURATION_MS,
          singleDurationMs: SINGLE_DURATION_MS,
          nginxWorkers: nginxVersionLine ? NGINX_WORKERS : null,
          productFlags: productFlags.join(' '),
          allocator: allocatorOf({ ...process.env, ...productEnv }),
        },
        rows,
        rssAfterMb: rssAfter,
        websocketIdle: websocket?.idle ?? null,
        redis: redis ? { rows: redis.rows } : null,
        verdicts,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote bench/results/latest.json; total ${((Date.now() - began) / 1000).toFixed(0)} s`);
}

main()
  .then(
    () => cleanup(),
    async (err) => {
      // After Ctrl-C the stopped children fail the run on their way out; that is not news.
      if (!cleaning) log(`failed: ${err?.stack ?? err}`);
      await cleanup();
      process.exitCode = 1;
    },
  )
  .finally(() => process.exit(process.exitCode ?? 0));
