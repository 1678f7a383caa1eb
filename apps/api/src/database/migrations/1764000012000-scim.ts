// SCIM 2.0 provisioning: the tokens a company directory authenticates with, and what SCIM says
// about users and groups beyond codex-lb's own columns.
//
// - scim_tokens: admin-created bearer tokens, stored as SHA-256 digests with a display prefix,
//   revoked by stamping revoked_at (the row stays, so the audit log keeps naming it).
// - scim_users / scim_groups: the directory's externalId and a user's name and e-mail addresses,
//   one row per user or group the directory has touched; they go with their user or group.
// - A human user may now have no password: one the directory creates signs in only through the
//   company's identity provider (the password login refuses a user without a hash, as it refuses
//   service accounts).
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Scim1764000012000 implements MigrationInterface {
  name = 'Scim1764000012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE scim_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(100) NOT NULL,
        prefix varchar(16) NOT NULL,
        token_hash char(64) NOT NULL UNIQUE,
        created_by uuid NULL REFERENCES dashboard_users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NULL,
        revoked_at timestamptz NULL
      )`);
    await q.query(`
      CREATE TABLE scim_users (
        user_id uuid PRIMARY KEY REFERENCES dashboard_users(id) ON DELETE CASCADE,
        external_id varchar(255) NULL,
        display_name varchar(255) NULL,
        given_name varchar(255) NULL,
        family_name varchar(255) NULL,
        emails jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX scim_users_external_id ON scim_users (external_id) WHERE external_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE scim_groups (
        group_id uuid PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,
        external_id varchar(255) NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX scim_groups_external_id ON scim_groups (external_id) WHERE external_id IS NOT NULL`,
    );
    await q.query(`ALTER TABLE dashboard_users DROP CONSTRAINT IF EXISTS dashboard_users_password_kind`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE scim_groups`);
    await q.query(`DROP TABLE scim_users`);
    await q.query(`DROP TABLE scim_tokens`);
    // The password constraint stays dropped: the identity migration (1764000011000) needs the same.
  }
}
