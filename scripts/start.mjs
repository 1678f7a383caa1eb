// `npm start`: builds what is missing or stale, then runs the API (and proxy) and the dashboard
// together with prefixed logs. Ctrl-C stops both. `npm run start:api` / `start:web` run one.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocatorEnv, allocatorOf } from './allocator.mjs';
import { apiNodeFlags } from './api-node-flags.mjs';
import { loadDotEnv } from './env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const which = process.argv[2] ?? 'all';
const env = { NEXT_TELEMETRY_DISABLED: '1', ...loadDotEnv(root) };

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === '.next' || entry === 'dist') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

function stale(output, ...sources) {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return sources.some((source) => newest(source) > built);
}

function build(label, args) {
  console.log(`[start] building ${label}...`);
  const result = spawnSync('npm', args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`[start] building ${label} failed`);
    process.exit(result.status ?? 1);
  }
}

const shared = join(root, 'libs/shared');
if (stale(join(shared, 'dist/index.js'), join(shared, 'src')))
  build('shared types', ['run', 'build', '-w', '@codex-lb/shared']);
if (which !== 'web' && stale(join(root, 'apps/api/dist/main.js'), join(root, 'apps/api/src'), join(shared, 'src'))) {
  build('API', ['run', 'build', '-w', '@codex-lb/api']);
}
const web = join(root, 'apps/web');
if (
  which !== 'api' &&
  stale(join(web, '.next/BUILD_ID'), join(web, 'app'), join(web, 'components'), join(web, 'lib'), join(shared, 'src'))
) {
  build('dashboard', ['run', 'build', '-w', '@codex-lb/web']);
}

// The API runs with jemalloc where it is installed (scripts/allocator.mjs).
let apiEnv = env;
if (which !== 'web') {
  try {
    apiEnv = { ...env, ...allocatorEnv(env) };
  } catch (error) {
    console.error(`[start] ${error.message}`);
    process.exit(1);
  }
  const allocator = allocatorOf(apiEnv) === 'jemalloc' ? 'jemalloc' : "the system's malloc";
  console.log(`[start] API allocator: ${allocator} (CODEX_LB_ALLOCATOR=${env.CODEX_LB_ALLOCATOR || 'auto'})`);
}

const children = [];
function run(name, command, args, cwd, childEnv = env) {
  const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream, out) => {
    let buffer = '';
    stream.on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
    stream.on('end', () => buffer && out.write(`[${name}] ${buffer}\n`));
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    console.log(`[start] ${name} exited (${signal ?? code})`);
    if (!stopping) stop(code ?? 1);
  });
  children.push(child);
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    process.exit(code);
  }, 10_000);
  deadline.unref();
  Promise.all(children.map((child) => (child.exitCode !== null ? null : new Promise((r) => child.on('exit', r))))).then(
    () => process.exit(code),
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// With the heap flags the API cannot set itself (scripts/api-node-flags.mjs).
if (which !== 'web')
  run('api', process.execPath, [...apiNodeFlags(apiEnv.NODE_OPTIONS), 'dist/main.js'], join(root, 'apps/api'), apiEnv);
if (which !== 'api') {
  const port = env.CODEX_LB_WEB_PORT ?? '3000';
  // client-address.cjs makes the dashboard forward each browser's own address to the API (it
  // replaces any X-Forwarded-For the browser sent), so sign-in throttling is per client.
  const next = join(root, 'node_modules/next/dist/bin/next');
  run('web', process.execPath, ['-r', join(web, 'client-address.cjs'), next, 'start', '-p', port], web);
  console.log(`[start] dashboard: http://localhost:${port}`);
}
