// `npm run seed:logs -- --rows 10000000 [--days 45] [--database-url postgres://...]`
// Fills a database with realistic request-log volume for `npm run bench:queries`: a few owners,
// keys, accounts and models over the last N days. Rows are generated inside Postgres with
// generate_series (no client round trip per row), the secondary indexes are rebuilt once after
// the load instead of being maintained row by row, and the rollups are rebuilt with one
// INSERT ... SELECT ... GROUP BY per table. Replaces any request logs already in that database.
import { hash } from 'bcryptjs';
import { Client } from 'pg';
import { createApp } from '../apps/api/src/app.factory';
import { loadSettings } from '../apps/api/src/config/settings';
import { bucketIndexSql, HISTOGRAM_BUCKETS } from '../apps/api/src/modules/usage/latency-histogram';

export const BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/codexlb_bench';
export const BENCH_ADMIN_PASSWORD = 'bench-admin-password';
export const BENCH_USER_PASSWORD = 'bench-user-password';
export const BENCH_ENCRYPTION_KEY = Buffer.alloc(32, 9).toString('base64');
const USERS = ['bench-alice', 'bench-bob', 'bench-carol', 'bench-dave'];
const KEYS_PER_OWNER = 2;
const ACCOUNTS_PER_OWNER = 2;
const MODELS = ['gpt-5-codex', 'gpt-5-codex', 'gpt-5-codex', 'gpt-5', 'gpt-5-mini', 'gpt-5.1-codex'];
const ERROR_CODES = ['usage_limit_reached', 'upstream_timeout', 'rate_limit_exceeded', 'server_error'];
const CHUNK_ROWS = 1_000_000;

export function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

export function benchSettings(databaseUrl: string) {
  return loadSettings({
    ...process.env,
    CODEX_LB_DATABASE_URL: databaseUrl,
    CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
    CODEX_LB_ENCRYPTION_KEY: BENCH_ENCRYPTION_KEY,
    CODEX_LB_USAGE_POLL_INTERVAL_SECONDS: '0',
    CODEX_LB_LOG_RETENTION_DAYS: '0',
    CODEX_LB_LOG_LEVEL: 'error',
    CODEX_LB_PORT: '0',
    CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '100000',
  });
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`refusing unusual database name "${name}"`);
  target.pathname = '/postgres';
  const admin = new Client({ connectionString: target.toString() });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  console.log(`  ${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** Owners (admin + bench users), their keys and accounts; returns how many combos exist. */
async function seedOwners(db: Client): Promise<number> {
  const passwordHash = await hash(BENCH_USER_PASSWORD, 10);
  for (const username of USERS) {
    await db.query(
      `INSERT INTO dashboard_users (username, password_hash, role, must_change_password)
       SELECT $1::text, $2::text, 'user', false WHERE NOT EXISTS (SELECT 1 FROM dashboard_users WHERE lower(username) = $1::text)`,
      [username, passwordHash],
    );
  }
  const owners: { id: string; username: string }[] = (
    await db.query(`SELECT id, username FROM dashboard_users WHERE username = 'admin' OR username = ANY($1)`, [USERS])
  ).rows;
  for (const owner of owners) {
    for (let k = 1; k <= KEYS_PER_OWNER; k++) {
      await db.query(
        `INSERT INTO api_keys (owner_user_id, name, prefix, key_digest)
         SELECT $1::uuid, $2::text, 'sk-clb-bench', encode(sha256(($1::text || $2::text)::bytea), 'hex')
          WHERE NOT EXISTS (SELECT 1 FROM api_keys WHERE owner_user_id = $1::uuid AND name = $2::text)`,
        [owner.id, `${owner.username}-key-${k}`],
      );
    }
    for (let a = 1; a <= ACCOUNTS_PER_OWNER; a++) {
      await db.query(
        `INSERT INTO accounts (owner_user_id, chatgpt_account_id, chatgpt_user_id, email, access_token_enc,
                               refresh_token_enc, id_token_enc, primary_used_percent, primary_window_minutes)
         VALUES ($1, $2, $2, $3, 'seed', 'seed', 'seed', 42, 300) ON CONFLICT DO NOTHING`,
        [owner.id, `bench-${owner.username}-${a}`, `${owner.username}.${a}@example.com`],
      );
    }
  }
  await db.query(`DROP TABLE IF EXISTS seed_combos`);
  await db.query(`
    CREATE UNLOGGED TABLE seed_combos AS
    SELECT (row_number() OVER (ORDER BY k.id, a.id) - 1)::int AS idx, k.owner_user_id, k.id AS api_key_id, a.id AS account_id
      FROM api_keys k JOIN accounts a ON a.owner_user_id = k.owner_user_id
     WHERE k.prefix = 'sk-clb-bench' AND a.access_token_enc = 'seed'`);
  return Number((await db.query(`SELECT count(*) AS n FROM seed_combos`)).rows[0].n);
}

function insertChunkSql(): string {
  const h = (salt: number) => `(hashint8(i + ${salt}::bigint * 1000000007)::bigint & 2147483647)`;
  const models = `ARRAY[${MODELS.map((m) => `'${m}'`).join(',')}]`;
  const errors = `ARRAY[${ERROR_CODES.map((c) => `'${c}'`).join(',')}]`;
  // $1 first i, $2 last i, $3 total rows, $4 start time, $5 span in seconds, $6 combos.
  return `
    INSERT INTO request_logs (id, requested_at, owner_user_id, api_key_id, account_id, route, model, stream, status,
                              http_status, error_code, input_tokens, cached_input_tokens, output_tokens,
                              reasoning_tokens, cost_usd, latency_ms, ttfb_ms, client_ip, user_agent, session_id)
    SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
           date_trunc('milliseconds', $4::timestamptz + make_interval(secs => i::float8 * $5 / $3)),
           c.owner_user_id, c.api_key_id, c.account_id,
           CASE WHEN x.r_route < 7 THEN '/backend-api/codex/responses' WHEN x.r_route < 9 THEN '/v1/responses'
                ELSE '/v1/chat/completions' END,
           (${models})[1 + x.r_model], x.r_route < 9,
           x.status, CASE x.status WHEN 'error' THEN 429 WHEN 'cancelled' THEN 499 ELSE 200 END,
           CASE WHEN x.status = 'error' THEN (${errors})[1 + x.r_err] END,
           CASE WHEN x.status <> 'error' THEN x.input END, CASE WHEN x.status <> 'error' THEN x.input * x.r_cache / 100 END,
           CASE WHEN x.status <> 'error' THEN x.output END, CASE WHEN x.status <> 'error' THEN x.output * x.r_cache / 200 END,
           CASE WHEN x.status <> 'error' THEN round((x.input * 1.25 + x.output * 10) / 1e6, 8) END,
           x.latency, CASE WHEN x.status = 'success' THEN least(x.latency, 80 + x.r_ttfb) END,
           '10.0.' || (i % 7) || '.' || (i % 251), 'codex_cli_rs/0.58.0', NULL
      FROM generate_series($1::bigint, $2::bigint) AS i
      CROSS JOIN LATERAL (
        SELECT CASE WHEN ${h(1)} % 1000 < 20 THEN 'error' WHEN ${h(1)} % 1000 < 25 THEN 'cancelled' ELSE 'success' END AS status,
               (${h(2)} % 10)::int AS r_route, (${h(3)} % ${MODELS.length})::int AS r_model,
               (${h(4)} % ${ERROR_CODES.length})::int AS r_err, (500 + ${h(5)} % 30000)::int AS input,
               (40 + ${h(6)} % 4000)::int AS output, (${h(7)} % 90)::int AS r_cache,
               (150 + (${h(8)} % 1000) ^ 2 / 40)::int AS latency, (${h(9)} % 2500)::int AS r_ttfb,
               (${h(10)} % $6)::int AS combo
      ) x
      JOIN seed_combos c ON c.idx = x.combo`;
}

const SUMMED = `requests, errors, cancelled, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens,
  cost_usd, latency_sum_ms, ttfb_sum_ms, ttfb_count`;

function hourlyRollupSql(): string {
  const slots = (column: string) =>
    `ARRAY[${Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => `count(*) FILTER (WHERE ${column} = ${i})`).join(', ')}]::int[]`;
  return `
    INSERT INTO usage_rollups_hourly (bucket_start, owner_user_id, api_key_id, account_id, model, ${SUMMED},
                                      latency_hist, ttfb_hist)
    SELECT date_trunc('hour', requested_at), owner_user_id,
           coalesce(api_key_id, '00000000-0000-0000-0000-000000000000'),
           coalesce(account_id, '00000000-0000-0000-0000-000000000000'), coalesce(model, ''),
           count(*), count(*) FILTER (WHERE status = 'error'), count(*) FILTER (WHERE status = 'cancelled'),
           coalesce(sum(input_tokens), 0), coalesce(sum(cached_input_tokens), 0), coalesce(sum(output_tokens), 0),
           coalesce(sum(reasoning_tokens), 0), coalesce(sum(cost_usd), 0), sum(latency_ms),
           coalesce(sum(ttfb_ms), 0), count(ttfb_ms), ${slots('lb')}, ${slots('tb')}
      -- OFFSET 0 keeps the bucket expressions computed once per row, not once per FILTER.
      FROM (SELECT l.*, ${bucketIndexSql('l.latency_ms')} AS lb,
                   CASE WHEN l.ttfb_ms IS NULL THEN -1 ELSE ${bucketIndexSql('l.ttfb_ms')} END AS tb
              FROM request_logs l OFFSET 0) s
     GROUP BY 1, 2, 3, 4, 5`;
}

/** Days from hours, so the raw logs are read once. */
function dailyRollupSql(): string {
  const sums = (column: string) =>
    `ARRAY[${Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => `sum(${column}[${i + 1}])`).join(', ')}]::int[]`;
  return `
    INSERT INTO usage_rollups_daily (bucket_start, owner_user_id, api_key_id, account_id, model, ${SUMMED},
                                     latency_hist, ttfb_hist)
    SELECT date_trunc('day', bucket_start), owner_user_id, api_key_id, account_id, model,
           ${SUMMED.split(',')
             .map((c) => `sum(${c.trim()})`)
             .join(', ')}, ${sums('latency_hist')}, ${sums('ttfb_hist')}
      FROM usage_rollups_hourly
     GROUP BY 1, 2, 3, 4, 5`;
}

/** Chart series from hours: one row per (dimension, hour, owner, value). */
export function hourlySeriesSql(): string {
  const totals = SUMMED.split(',')
    .map((c) => c.trim())
    .slice(0, 8);
  const dims = { model: 'model', key: 'api_key_id::text', account: 'account_id::text' };
  return Object.entries(dims)
    .map(
      ([dimension, column]) => `
    INSERT INTO usage_rollups_hourly_series (dimension, bucket_start, owner_user_id, value, ${totals.join(', ')})
    SELECT '${dimension}', bucket_start, owner_user_id, ${column}, ${totals.map((c) => `sum(${c})`).join(', ')}
      FROM usage_rollups_hourly GROUP BY 2, 3, 4`,
    )
    .join(';\n');
}

async function main(): Promise<void> {
  const rows = Number(arg('rows', '1000000'));
  const days = Number(arg('days', '45'));
  const url = arg('database-url', process.env.CODEX_LB_DATABASE_URL ?? BENCH_DATABASE_URL)!;
  if (!Number.isInteger(rows) || rows < 1 || !(days > 0))
    throw new Error('--rows must be a positive integer and --days > 0');
  const started = Date.now();
  console.log(
    `Seeding ${rows.toLocaleString('en')} request logs over ${days} days into ${url.replace(/\/\/[^@/]*@/, '//***@')}`,
  );
  await ensureDatabase(url);
  // Boot the product once: migrations and the bootstrap admin come from the real startup path.
  await timed('migrate', async () => (await createApp(benchSettings(url), { logger: false })).close());

  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(`SET TIME ZONE 'UTC'`);
    await db.query(`SET maintenance_work_mem = '512MB'`);
    await db.query(`SET work_mem = '256MB'`);
    const combos = await timed('owners, keys, accounts', () => seedOwners(db));
    await db.query('TRUNCATE request_logs, usage_rollups_hourly, usage_rollups_daily, usage_rollups_hourly_series');
    const indexes: { indexname: string; indexdef: string }[] = (
      await db.query(
        `SELECT i.indexname, i.indexdef FROM pg_indexes i
          WHERE i.tablename = 'request_logs' AND i.schemaname = current_schema()
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
      )
    ).rows;
    for (const index of indexes) await db.query(`DROP INDEX ${index.indexname}`);
    // Seed rows reference ids made just above; skipping per-row foreign-key triggers is what makes
    // ten million rows a matter of minutes (needs a superuser, as on a local bench database).
    await db.query(`SET session_replication_role = replica`).catch(() => console.log('  (foreign keys checked)'));
    const start = new Date(Date.now() - days * 86_400_000);
    for (let first = 1; first <= rows; first += CHUNK_ROWS) {
      const last = Math.min(rows, first + CHUNK_ROWS - 1);
      await timed(`rows ${first.toLocaleString('en')}..${last.toLocaleString('en')}`, () =>
        db.query(insertChunkSql(), [first, last, rows, start, days * 86_400, combos]),
      );
    }
    await db.query(`SET session_replication_role = DEFAULT`).catch(() => undefined);
    for (const index of indexes) await timed(`index ${index.indexname}`, () => db.query(index.indexdef));
    await timed('hourly rollups', () => db.query(hourlyRollupSql()));
    await timed('daily rollups', () => db.query(dailyRollupSql()));
    await timed('hourly series', () => db.query(hourlySeriesSql()));
    // Vacuum now (not whenever autovacuum gets to it): sets hint bits and the visibility map, so
    // the bench measures steady state and index-only scans work.
    for (const table of [
      'request_logs',
      'usage_rollups_hourly',
      'usage_rollups_daily',
      'usage_rollups_hourly_series',
    ]) {
      await timed(`vacuum ${table}`, () => db.query(`VACUUM (ANALYZE) ${table}`));
    }
    await db.query('DROP TABLE seed_combos');
  } finally {
    await db.end();
  }
  console.log(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
