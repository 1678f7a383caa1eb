// Stops what the bench started, even when the bench itself dies without cleaning up (SIGKILL, a
// crash in a signal handler). run.mjs starts this first, in its own process group, with a pipe on
// stdin, and tells it line by line what it starts and what has already stopped:
//   pid <n>      a process           group <n>   a process group (nginx: master and workers)
//   gone <n>     stopped already     db <admin connection string> <name>   a database to drop
//   dbgone       the database was dropped          dir <path> / dirgone <path>   a temp dir
// When the pipe closes (the bench exited, however it exited) every process still listed gets
// SIGTERM, then SIGKILL after 3 s, a database still listed is dropped and temp dirs removed. A bench that cleaned up
// after itself has left nothing listed, so this then exits at once.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const processes = new Map(); // id -> kill target (pid, or -pgid for a group)
let database = null;
const dirs = new Set();
let pending = '';

process.on('SIGINT', () => {}); // Ctrl-C is the bench's to handle; this outlives it on purpose.
process.on('SIGHUP', () => {});

process.stdin.setEncoding('utf8');
process.stdin.on('data', (data) => {
  pending += data;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const [verb, ...args] = pending.slice(0, nl).split(' ');
    pending = pending.slice(nl + 1);
    const n = Number(args[0]);
    if (verb === 'pid') processes.set(n, n);
    else if (verb === 'group') processes.set(n, -n);
    else if (verb === 'gone') processes.delete(n);
    else if (verb === 'db') database = { admin: args[0], name: args[1] };
    else if (verb === 'dbgone') database = null;
    else if (verb === 'dir') dirs.add(args.join(' '));
    else if (verb === 'dirgone') dirs.delete(args.join(' '));
  }
});
process.stdin.on('end', () => void reap().finally(() => process.exit(0)));
process.stdin.on('error', () => void reap().finally(() => process.exit(0)));

function alive(target) {
  try {
    process.kill(target, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(target, sig) {
  try {
    process.kill(target, sig);
  } catch {}
}

async function reap() {
  const targets = [...processes.values()].filter(alive);
  if (targets.length > 0) {
    process.stderr.write(`[bench] reaper: stopping ${targets.length} process(es) the bench left running\n`);
    for (const t of targets) signal(t, 'SIGTERM');
    const until = Date.now() + 3000;
    while (Date.now() < until && targets.some(alive)) await new Promise((r) => setTimeout(r, 100));
    for (const t of targets) if (alive(t)) signal(t, 'SIGKILL');
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  if (database) {
    const pg = createRequire(join(ROOT, 'apps/api/package.json'))('pg');
    const client = new pg.Client({ connectionString: database.admin });
    try {
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`);
      process.stderr.write(`[bench] reaper: dropped ${database.name}\n`);
    } catch (err) {
      process.stderr.write(`[bench] reaper: could not drop ${database.name}: ${err.message}\n`);
    } finally {
      await client.end().catch(() => {});
    }
  }
}
