// usage_history received a row per quota poll, response header and rate-limit event, and nothing
// ever read or purged it: the account row holds the latest windows, which is all the router and
// the dashboard use. Dropped rather than left to grow.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DropUsageHistory1764000005000 implements MigrationInterface {
  name = 'DropUsageHistory1764000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS usage_history');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE usage_history (
        id bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        source varchar(16) NOT NULL,
        primary_used_percent double precision NULL,
        primary_resets_at timestamptz NULL,
        secondary_used_percent double precision NULL,
        secondary_resets_at timestamptz NULL
      )`);
    await q.query(`CREATE INDEX usage_history_account_time ON usage_history (account_id, recorded_at DESC)`);
  }
}
