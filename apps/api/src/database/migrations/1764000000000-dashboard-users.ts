import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DashboardUsers1764000000000 implements MigrationInterface {
  name = 'DashboardUsers1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dashboard_users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username varchar(64) NOT NULL,
        password_hash varchar(100) NOT NULL,
        role varchar(16) NOT NULL CHECK (role IN ('admin', 'user')),
        is_active boolean NOT NULL DEFAULT true,
        must_change_password boolean NOT NULL DEFAULT false,
        last_login_at timestamptz NULL,
        password_changed_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX dashboard_users_username_ci ON dashboard_users (lower(username))`);
    await q.query(`CREATE INDEX dashboard_users_role_active ON dashboard_users (role, is_active)`);
    await q.query(`
      CREATE TABLE dashboard_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash char(64) NOT NULL UNIQUE,
        user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        ip varchar(64) NULL,
        user_agent varchar(256) NULL
      )`);
    await q.query(`CREATE INDEX dashboard_sessions_user ON dashboard_sessions (user_id)`);
    await q.query(`CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE dashboard_sessions');
    await q.query('DROP TABLE dashboard_users');
  }
}
