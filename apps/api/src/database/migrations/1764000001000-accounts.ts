import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Accounts1764000001000 implements MigrationInterface {
  name = 'Accounts1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE app_state (
        key varchar(64) PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        chatgpt_account_id varchar(128) NOT NULL,
        chatgpt_user_id varchar(128) NOT NULL,
        email varchar(320) NULL,
        plan_type varchar(32) NULL,
        alias varchar(100) NULL,
        status varchar(24) NOT NULL DEFAULT 'active'
          CHECK (status IN ('active', 'paused', 'rate_limited', 'quota_exceeded', 'reauth_required', 'deactivated')),
        status_reason varchar(500) NULL,
        cooldown_until timestamptz NULL,
        access_token_enc text NOT NULL,
        refresh_token_enc text NOT NULL,
        id_token_enc text NOT NULL,
        token_expires_at timestamptz NULL,
        last_refresh_at timestamptz NULL,
        refresh_lease_until timestamptz NULL,
        refresh_lease_owner varchar(64) NULL,
        primary_used_percent double precision NULL,
        primary_window_minutes integer NULL,
        primary_resets_at timestamptz NULL,
        secondary_used_percent double precision NULL,
        secondary_window_minutes integer NULL,
        secondary_resets_at timestamptz NULL,
        credits_balance double precision NULL,
        credits_unlimited boolean NULL,
        quota_fetched_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT accounts_seat_unique UNIQUE (chatgpt_account_id, chatgpt_user_id)
      )`);
    await q.query(`CREATE INDEX accounts_owner ON accounts (owner_user_id, created_at)`);
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
    await q.query(`
      CREATE TABLE oauth_flows (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        created_by_user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        flow varchar(16) NOT NULL CHECK (flow IN ('browser', 'device')),
        state varchar(128) NULL UNIQUE,
        secret_enc text NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'success', 'error')),
        error varchar(500) NULL,
        account_id uuid NULL REFERENCES accounts(id) ON DELETE SET NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX oauth_flows_expires ON oauth_flows (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE oauth_flows');
    await q.query('DROP TABLE usage_history');
    await q.query('DROP TABLE accounts');
    await q.query('DROP TABLE app_state');
  }
}
