// Request logs (one row per proxied request, purged after the retention period) and the usage
// rollups that reports read (kept for good, so summaries do not change when old logs go).
import type { MigrationInterface, QueryRunner } from 'typeorm';

const ROLLUP_COLUMNS = `
        owner_user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        -- No foreign keys on key and account: a rollup keeps the id of a since-deleted key or
        -- account as history, and a sentinel zero uuid stands for "none" so the key stays unique.
        api_key_id uuid NOT NULL,
        account_id uuid NOT NULL,
        model varchar(128) NOT NULL,
        requests bigint NOT NULL DEFAULT 0,
        errors bigint NOT NULL DEFAULT 0,
        cancelled bigint NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        cached_input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        reasoning_tokens bigint NOT NULL DEFAULT 0,
        cost_usd numeric(20, 8) NOT NULL DEFAULT 0,
        latency_sum_ms bigint NOT NULL DEFAULT 0,
        ttfb_sum_ms bigint NOT NULL DEFAULT 0,
        ttfb_count bigint NOT NULL DEFAULT 0,
        latency_hist integer[] NOT NULL,
        ttfb_hist integer[] NOT NULL,
        PRIMARY KEY (bucket_start, owner_user_id, api_key_id, account_id, model)`;

export class RequestLogs1764000003000 implements MigrationInterface {
  name = 'RequestLogs1764000003000';

  async up(q: QueryRunner): Promise<void> {
    // The owner cascades: deleting a user already deletes their keys and accounts, and their
    // logs and rollups go with them. Key and account become NULL so the log row survives as
    // "served by a deleted account".
    await q.query(`
      CREATE TABLE request_logs (
        id uuid PRIMARY KEY,
        requested_at timestamptz NOT NULL,
        owner_user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        api_key_id uuid NULL REFERENCES api_keys(id) ON DELETE SET NULL,
        account_id uuid NULL REFERENCES accounts(id) ON DELETE SET NULL,
        route varchar(200) NOT NULL,
        model varchar(128) NULL,
        stream boolean NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('success', 'error', 'cancelled')),
        http_status smallint NOT NULL,
        error_code varchar(100) NULL,
        input_tokens integer NULL,
        cached_input_tokens integer NULL,
        output_tokens integer NULL,
        reasoning_tokens integer NULL,
        cost_usd numeric(18, 8) NULL,
        latency_ms integer NOT NULL,
        ttfb_ms integer NULL,
        client_ip varchar(64) NULL,
        user_agent varchar(500) NULL,
        session_id varchar(200) NULL
      )`);
    // Every list filter has an index ending in (requested_at DESC, id DESC), so a filtered page
    // is a short index range scan from the cursor, however many rows the table holds.
    await q.query(`CREATE INDEX request_logs_time ON request_logs (requested_at DESC, id DESC)`);
    await q.query(`CREATE INDEX request_logs_owner_time ON request_logs (owner_user_id, requested_at DESC, id DESC)`);
    await q.query(`CREATE INDEX request_logs_key_time ON request_logs (api_key_id, requested_at DESC, id DESC)`);
    await q.query(`CREATE INDEX request_logs_account_time ON request_logs (account_id, requested_at DESC, id DESC)`);
    await q.query(`CREATE INDEX request_logs_model_time ON request_logs (model, requested_at DESC, id DESC)`);
    await q.query(`CREATE INDEX request_logs_status_time ON request_logs (status, requested_at DESC, id DESC)`);
    await q.query(`CREATE INDEX request_logs_route_time ON request_logs (route, requested_at DESC, id DESC)`);
    // Error-code search is a substring match: scan only the (few) rows that have a code.
    await q.query(
      `CREATE INDEX request_logs_error_time ON request_logs (requested_at DESC, id DESC) WHERE error_code IS NOT NULL`,
    );

    await q.query(`CREATE TABLE usage_rollups_hourly (bucket_start timestamptz NOT NULL, ${ROLLUP_COLUMNS})`);
    await q.query(`CREATE INDEX usage_rollups_hourly_owner ON usage_rollups_hourly (owner_user_id, bucket_start)`);
    // Daily rows let a 30-day summary merge ~30 histograms per series instead of ~720.
    await q.query(`CREATE TABLE usage_rollups_daily (bucket_start timestamptz NOT NULL, ${ROLLUP_COLUMNS})`);
    await q.query(`CREATE INDEX usage_rollups_daily_owner ON usage_rollups_daily (owner_user_id, bucket_start)`);
    // Hourly chart series: the same totals per (hour, owner) along one dimension at a time, so a
    // chart by model reads one row per owner and model instead of one per key x account x model.
    await q.query(`
      CREATE TABLE usage_rollups_hourly_series (
        dimension varchar(8) NOT NULL CHECK (dimension IN ('model', 'key', 'account')),
        bucket_start timestamptz NOT NULL,
        owner_user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        value varchar(128) NOT NULL,
        requests bigint NOT NULL DEFAULT 0,
        errors bigint NOT NULL DEFAULT 0,
        cancelled bigint NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        cached_input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        reasoning_tokens bigint NOT NULL DEFAULT 0,
        cost_usd numeric(20, 8) NOT NULL DEFAULT 0,
        PRIMARY KEY (dimension, bucket_start, owner_user_id, value)
      )`);
    await q.query(
      `CREATE INDEX usage_rollups_hourly_series_owner ON usage_rollups_hourly_series (owner_user_id, dimension, bucket_start)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE usage_rollups_hourly_series');
    await q.query('DROP TABLE usage_rollups_daily');
    await q.query('DROP TABLE usage_rollups_hourly');
    await q.query('DROP TABLE request_logs');
  }
}
