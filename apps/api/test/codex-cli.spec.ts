// Codex CLI itself, unmodified, against the gateway (pointed at the fake upstream). The CLI is a
// 400 MB native download, so it is not a project dependency: set CODEX_CLI_BIN (or have `codex` on
// PATH) to run this spec, e.g. after `npm i --prefix /tmp/codex @openai/codex`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addAccount, createKey, flushLogs, startWorld, type World } from './support/proxy-world';

function findCodex(): string | null {
  const configured = process.env.CODEX_CLI_BIN;
  if (configured) return existsSync(configured) ? configured : null;
  try {
    return execFileSync('sh', ['-c', 'command -v codex'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const codexBin = findCodex();
const describeIfCodex = codexBin ? describe : describe.skip;

describeIfCodex('Codex CLI against the gateway', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w?.close());

  it('runs `codex exec` through a custom provider and is metered', async () => {
    await addAccount(w, w.alice.cookie, 'codex-cli@example.com');
    const { key, id } = await createKey(w, w.alice.cookie, { name: 'codex cli' });
    const home = mkdtempSync(join(tmpdir(), 'codex-home-'));
    writeFileSync(
      join(home, 'config.toml'),
      [
        'model_provider = "codex-lb"',
        'model = "gpt-5.1-codex"',
        '',
        '[model_providers.codex-lb]',
        'name = "codex-lb"',
        `base_url = "${w.app.url}/backend-api/codex"`,
        'wire_api = "responses"',
        'env_key = "CODEX_LB_API_KEY"',
        '',
      ].join('\n'),
    );
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(codexBin!, ['exec', '--skip-git-repo-check', 'say hello to the gateway'], {
        cwd: home,
        env: { ...process.env, CODEX_HOME: home, CODEX_LB_API_KEY: key },
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
    expect(output).toContain('Echo: say hello to the gateway');

    const sent = w.fake.requests.filter((r) => r.path.includes('/codex/responses'));
    const last = sent[sent.length - 1];
    expect(last.headers.originator).toMatch(/^codex_/);
    expect(JSON.stringify(last.headers)).not.toContain(key);
    await flushLogs(w);
    const rows = await w.app.instance.dataSource.query(
      `SELECT status, input_tokens, session_id FROM request_logs WHERE api_key_id = $1`,
      [id],
    );
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows[0]).toMatchObject({ status: 'success' });
    expect(rows[0].input_tokens).toBeGreaterThan(1000);
  });
});
