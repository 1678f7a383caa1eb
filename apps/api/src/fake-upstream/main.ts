// CLI entry: run the fake upstream standalone, print how to point the gateway at it, write a demo auth.json.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeUpstream } from './index';

function flag(argv: string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i === -1) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
}

function optNumber(value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const port = optNumber(flag(argv, 'port')) ?? Number(process.env.FAKE_UPSTREAM_PORT ?? 1456);
  // A benchmark run wants a flat quota and no request log: --usage-growth 0 --no-record.
  const growth = optNumber(flag(argv, 'usage-growth') ?? process.env.FAKE_UPSTREAM_USAGE_GROWTH);
  const record = !(argv.includes('--no-record') || process.env.FAKE_UPSTREAM_RECORD_REQUESTS === '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Invalid port: ${port} (use --port N or FAKE_UPSTREAM_PORT)`);
  }
  const fake = await FakeUpstream.start({
    port,
    host: process.env.FAKE_UPSTREAM_HOST ?? '127.0.0.1',
    recordRequests: record,
    eventDelayMs: optNumber(flag(argv, 'event-delay-ms') ?? process.env.FAKE_UPSTREAM_EVENT_DELAY_MS),
    usageGrowth: growth === undefined ? undefined : { primary: growth, secondary: growth / 5 },
  });
  const seat = fake.addAccount({ email: 'demo@example.test', planType: 'plus' });
  const authPath = join(tmpdir(), `codex-lb-fake-auth-${fake.port}.json`);
  // The file holds a live refresh token, so only its owner may read it.
  writeFileSync(authPath, `${JSON.stringify(fake.authJsonFor(seat), null, 2)}\n`, { mode: 0o600 });

  const lines = [
    `Fake ChatGPT upstream listening on ${fake.baseUrl}`,
    `  auth base:    ${fake.authBaseUrl}`,
    `  backend base: ${fake.backendBaseUrl}`,
    `  controls:     ${fake.baseUrl}/__fake/stats (GET), /__fake/accounts (POST), /__fake/fail-next, /__fake/reset`,
    '',
    'Point the gateway at it:',
    `CODEX_LB_AUTH_BASE_URL=${fake.authBaseUrl}`,
    `CODEX_LB_UPSTREAM_BASE_URL=${fake.backendBaseUrl}`,
    '',
    `Demo seat ${seat.email} (account ${seat.chatgptAccountId}); import this auth.json:`,
    `  ${authPath}`,
    'Browser and device logins are approved automatically and create a new seat each time.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping fake upstream\n`);
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`fake upstream failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
