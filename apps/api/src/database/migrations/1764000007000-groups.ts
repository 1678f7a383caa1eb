// Groups that share account pools, service accounts, and scoped API keys.
//
// - A group has members (principals) with a group role: owner, member or viewer.
// - An account is owned by exactly one user or one group; a user may share an account they own
//   into groups (account_shares).
// - Principals are humans (with a password) and service accounts (no password, never a session),
//   in the one dashboard_users table, so keys, logs and audit share one id space. A service
//   account belongs to one group, or to the admins (service_group_id null).
// - A key may be attached to groups (api_key_groups) and carries scopes: `proxy` by default, plus
//   management permissions for the /api routes.
// - A request log may carry an end-user label the caller supplied.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Groups1764000007000 implements MigrationInterface {
  name = 'Groups1764000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE groups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug varchar(64) NOT NULL,
        name varchar(100) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX groups_slug ON groups (lower(slug))`);
    await q.query(`
      CREATE TABLE group_members (
        group_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        principal_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        role varchar(16) NOT NULL CHECK (role IN ('owner', 'member', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, principal_id)
      )`);
    await q.query(`CREATE INDEX group_members_principal ON group_members (principal_id)`);

    // Principals: humans and service accounts.
    await q.query(`
      ALTER TABLE dashboard_users
        ADD COLUMN kind varchar(16) NOT NULL DEFAULT 'human' CHECK (kind IN ('human', 'service')),
        ADD COLUMN service_group_id uuid NULL REFERENCES groups(id) ON DELETE SET NULL,
        ALTER COLUMN password_hash DROP NOT NULL,
        ADD CONSTRAINT dashboard_users_password_kind CHECK (kind = 'service' OR password_hash IS NOT NULL),
        ADD CONSTRAINT dashboard_users_service_group CHECK (kind = 'service' OR service_group_id IS NULL)`);
    await q.query(
      `CREATE INDEX dashboard_users_service_group ON dashboard_users (service_group_id) WHERE kind = 'service'`,
    );

    // Accounts owned by a user or by a group, and shared into groups.
    await q.query(`
      ALTER TABLE accounts
        ALTER COLUMN owner_user_id DROP NOT NULL,
        ADD COLUMN owner_group_id uuid NULL REFERENCES groups(id) ON DELETE RESTRICT,
        ADD CONSTRAINT accounts_one_owner CHECK (num_nonnulls(owner_user_id, owner_group_id) = 1)`);
    await q.query(`CREATE INDEX accounts_owner_group ON accounts (owner_group_id) WHERE owner_group_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE account_shares (
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        group_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        shared_by uuid NULL REFERENCES dashboard_users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, group_id)
      )`);
    await q.query(`CREATE INDEX account_shares_group ON account_shares (group_id)`);

    // Keys: attached groups and scopes.
    await q.query(`
      CREATE TABLE api_key_groups (
        api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        group_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        PRIMARY KEY (api_key_id, group_id)
      )`);
    await q.query(`CREATE INDEX api_key_groups_group ON api_key_groups (group_id)`);
    await q.query(`ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT '{proxy}'`);

    // The caller's own end-user label (x-codex-lb-end-user), bounded and sanitised.
    await q.query(`ALTER TABLE request_logs ADD COLUMN end_user varchar(128) NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE request_logs DROP COLUMN end_user`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN scopes`);
    await q.query(`DROP TABLE api_key_groups`);
    await q.query(`DROP TABLE account_shares`);
    await q.query(`DELETE FROM accounts WHERE owner_user_id IS NULL`);
    await q.query(`
      ALTER TABLE accounts
        DROP CONSTRAINT accounts_one_owner,
        DROP COLUMN owner_group_id,
        ALTER COLUMN owner_user_id SET NOT NULL`);
    await q.query(`DELETE FROM dashboard_users WHERE kind = 'service'`);
    await q.query(`
      ALTER TABLE dashboard_users
        DROP CONSTRAINT dashboard_users_service_group,
        DROP CONSTRAINT dashboard_users_password_kind,
        DROP COLUMN service_group_id,
        DROP COLUMN kind,
        ALTER COLUMN password_hash SET NOT NULL`);
    await q.query(`DROP TABLE group_members`);
    await q.query(`DROP TABLE groups`);
  }
}
