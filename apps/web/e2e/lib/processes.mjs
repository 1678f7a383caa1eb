// Child processes of one browser-test run: started in their own process group so a stop also
// reaches anything they spawned (next start forks workers), logged to files so a failure can
// show the tail, and always stopped, by group id, on success, failure or Ctrl-C.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const started = new Set();

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function startProcess(name, command, args, { cwd, env, logDir }) {
  const logPath = join(logDir, `${name}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { name, child, logPath, exited: null, output: '' };
  const collect = (chunk) => {
    log.write(chunk);
    // Keep a little in memory for callers that wait for a line (the fake prints its address).
    proc.output = (proc.output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.on('exit', (code, signal) => {
    proc.exited = { code, signal };
    log.end();
    started.delete(proc);
  });
  started.add(proc);
  return proc;
}

export function logTail(proc, lines = 30) {
  try {
    return readFileSync(proc.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return proc.output.slice(-3000);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `url` answers 2xx; gives up early, with the log tail, if the process died. */
export async function waitForHttp(url, proc, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (proc.exited)
      throw new Error(`${proc.name} exited (${JSON.stringify(proc.exited)}) before ${url} answered:\n${logTail(proc)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(250);
  }
  throw new Error(`${url} did not become healthy in ${timeoutMs / 1000}s (${last}):\n${logTail(proc)}`);
}

/** Resolves with the first match of `pattern` in the process output. */
export async function waitForOutput(proc, pattern, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = proc.output.match(pattern);
    if (match) return match;
    if (proc.exited) break;
    await sleep(100);
  }
  throw new Error(`${proc.name} did not print ${pattern}:\n${logTail(proc)}`);
}

function signalGroup(proc, signal) {
  try {
    process.kill(-proc.child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM every group we started (the API flushes its log batch on it), SIGKILL stragglers. */
export async function stopAll(graceMs = 5000) {
  const running = [...started];
  for (const proc of running) signalGroup(proc, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (running.some((proc) => !proc.exited) && Date.now() < deadline) await sleep(100);
  for (const proc of running) if (!proc.exited) signalGroup(proc, 'SIGKILL');
}

/** Last resort on an abrupt exit: synchronous, so it runs inside process.on('exit'). */
export function killAllNow() {
  for (const proc of started) signalGroup(proc, 'SIGKILL');
}
