// Codex CLI itself, unmodified, against the gateway (pointed at the fake upstream), twice: with the
// provider block codex-lb's users are told to write (`name = "OpenAI"`, `supports_websockets =
// true`: Responses over WebSocket) and with a plain HTTP provider. The CLI is a 400 MB native
// download, so it is not a project dependency: .ci/run installs it beside the checkout (found here
// as CI left it), or set CODEX_CLI_BIN (or have `codex` on PATH), e.g. after
// `npm i --prefix /tmp/codex @openai/codex`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addAccount, createKey, flushLogs, startWorld, type World } from './support/proxy-world';

function findCodex(): string | null {
  const configured = process.env.CODEX_CLI_BIN;
  if (configured) return existsSync(configured) ? configured : null;
  const ci = join(process.env.TMPDIR ?? '/tmp', 'codex-lb-ci-codex', 'node_modules', '.bin', 'codex');
  if (existsSync(ci)) return ci;
  try {
    return execFileSync('sh', ['-c', 'command -v codex'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const codexBin = findCodex();
const describeIfCodex = codexBin ? describe : describe.skip;

/** Lines Codex prints when its WebSocket cannot be used (it then retries, then falls back). */
const RECONNECT_ERRORS = /failed to connect to Responses WebSocket|Reconnecting\.\.\.|stream disconnected/i;

function configToml(baseUrl: string, websocket: boolean): string {
  return [
    'model_provider = "codex-lb"',
    'model = "gpt-5.1-codex"',
    '',
    '[model_providers.codex-lb]',
    websocket ? 'name = "OpenAI"' : 'name = "codex-lb"',
    `base_url = "${baseUrl}/backend-api/codex"`,
    'wire_api = "responses"',
    'env_key = "CODEX_LB_API_KEY"',
    ...(websocket ? ['supports_websockets = true'] : []),
    '',
  ].join('\n');
}

function runCodex(home: string, key: string, prompt: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(codexBin!, ['exec', '--skip-git-repo-check', prompt], {
      cwd: home,
      env: { ...process.env, CODEX_HOME: home, CODEX_LB_API_KEY: key, RUST_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (chunk) => (text += chunk));
    child.stderr.on('data', (chunk) => (text += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(text);
      else reject(new Error(`codex exited ${code}: ${text}`));
    });
  });
}

describeIfCodex('Codex CLI against the gateway', () => {
  let w: World;
  beforeAll(async () => {
    // Straight to the fake upstream: the recording tap speaks HTTP only.
    w = await startWorld({}, { tap: false });
    await addAccount(w, w.alice.cookie, 'codex-cli@example.com');
  });
  afterAll(() => w?.close());

  const rowsOf = async (keyId: string) => {
    await flushLogs(w);
    return w.app.instance.dataSource.query(
      `SELECT status, input_tokens, session_id, route FROM request_logs WHERE api_key_id = $1 ORDER BY requested_at`,
      [keyId],
    );
  };

  it('runs a multi-turn `codex exec` over WebSocket (name = "OpenAI", supports_websockets = true), metered per turn', async () => {
    const { key, id } = await createKey(w, w.alice.cookie, { name: 'codex cli ws' });
    const home = mkdtempSync(join(tmpdir(), 'codex-home-ws-'));
    writeFileSync(join(home, 'config.toml'), configToml(w.app.url, true));
    const before = w.fake.websocketStats;
    const httpBefore = w.fake.requests.filter((r) => r.transport === undefined && r.path.includes('/responses')).length;
    // A prompt that makes the fake model call a tool: the tool's output is a second turn.
    const output = await runCodex(home, key, 'please call the tools');
    expect(output).not.toMatch(RECONNECT_ERRORS);
    expect(output).toContain('Tool result:');

    const after = w.fake.websocketStats;
    expect(after.upgrades).toBeGreaterThan(before.upgrades);
    expect(after.turns - before.turns).toBeGreaterThanOrEqual(2);
    // Nothing went over HTTP: the socket carried the conversation.
    expect(w.fake.requests.filter((r) => r.transport === undefined && r.path.includes('/responses')).length).toBe(
      httpBefore,
    );
    const turns = w.fake.requests.filter((r) => r.transport === 'websocket').slice(-2);
    expect(turns[0].headers.originator).toMatch(/^codex_/);
    expect(JSON.stringify(turns[0].headers)).not.toContain(key);
    // The follow-up continues the response with the call, with only the tool's output.
    const followUp = turns[1].body as { previous_response_id?: string; input: { type: string }[] };
    expect(followUp.previous_response_id).toMatch(/^resp_/);
    expect(followUp.input.map((item) => item.type)).toContain('function_call_output');

    const rows = await rowsOf(id);
    expect(rows.length).toBe(after.turns - before.turns);
    for (const row of rows) expect(row).toMatchObject({ status: 'success' });
    expect(rows[0].input_tokens).toBeGreaterThan(100);
    expect(rows[0].session_id).toBeTruthy();
  });

  it('runs `codex exec` through a plain HTTP provider and is metered', async () => {
    const { key, id } = await createKey(w, w.alice.cookie, { name: 'codex cli http' });
    const home = mkdtempSync(join(tmpdir(), 'codex-home-'));
    writeFileSync(join(home, 'config.toml'), configToml(w.app.url, false));
    const upgrades = w.fake.websocketStats.upgrades;
    const output = await runCodex(home, key, 'say hello to the gateway');
    expect(output).toContain('Echo: say hello to the gateway');
    expect(w.fake.websocketStats.upgrades).toBe(upgrades);

    const sent = w.fake.requests.filter((r) => r.path.includes('/codex/responses'));
    const last = sent[sent.length - 1];
    expect(last.transport).toBeUndefined();
    expect(last.headers.originator).toMatch(/^codex_/);
    expect(JSON.stringify(last.headers)).not.toContain(key);
    const rows = await rowsOf(id);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows[0]).toMatchObject({ status: 'success' });
    expect(rows[0].input_tokens).toBeGreaterThan(1000);
  });
});
