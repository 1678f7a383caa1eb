// API keys, their account allowlist and limits, and the settled usage that limit counters are
// seeded from after a restart. The secret itself is never stored: only its SHA-256 digest.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeys1764000002000 implements MigrationInterface {
  name = 'ApiKeys1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        prefix varchar(16) NOT NULL,
        key_digest char(64) NOT NULL,
        is_active boolean NOT NULL DEFAULT true,
        expires_at timestamptz NULL,
        revoked_at timestamptz NULL,
        last_used_at timestamptz NULL,
        allowed_models text[] NOT NULL DEFAULT '{}',
        accounts_restricted boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX api_keys_digest ON api_keys (key_digest)`);
    await q.query(`CREATE INDEX api_keys_owner ON api_keys (owner_user_id, created_at)`);
    // Deleting an account drops it from every allowlist; accounts_restricted on the key keeps
    // an emptied allowlist from silently meaning "all accounts".
    await q.query(`
      CREATE TABLE api_key_accounts (
        api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        PRIMARY KEY (api_key_id, account_id)
      )`);
    await q.query(`CREATE INDEX api_key_accounts_account ON api_key_accounts (account_id)`);
    await q.query(`
      CREATE TABLE api_key_limits (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        kind varchar(16) NOT NULL
          CHECK (kind IN ('requests', 'input_tokens', 'output_tokens', 'total_tokens', 'cost_usd')),
        "window" varchar(8) NOT NULL CHECK ("window" IN ('minute', '5h', 'daily', 'weekly', 'monthly')),
        max numeric(20, 6) NOT NULL CHECK (max > 0),
        model varchar(128) NULL
      )`);
    await q.query(
      `CREATE UNIQUE INDEX api_key_limits_unique ON api_key_limits (api_key_id, kind, "window", coalesce(model, ''))`,
    );
    // One row per key, window and model; limits with a model filter or none sum over the rows.
    await q.query(`
      CREATE TABLE api_key_usage (
        api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        window_kind varchar(8) NOT NULL,
        window_start timestamptz NOT NULL,
        model varchar(128) NOT NULL DEFAULT '',
        requests bigint NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        total_tokens bigint NOT NULL DEFAULT 0,
        cost_usd numeric(20, 8) NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (api_key_id, window_kind, window_start, model)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_key_usage');
    await q.query('DROP TABLE api_key_limits');
    await q.query('DROP TABLE api_key_accounts');
    await q.query('DROP TABLE api_keys');
  }
}
