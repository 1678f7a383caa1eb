// Roles over one permission vocabulary.
//
// - `permissions` holds the vocabulary of libs/shared (seeded from it here and at every start), so
//   role_permissions.permission, a foreign key to it, can never name an unknown permission.
// - `roles` are presets (stable ids, defined in code, never edited) or custom roles; slugs are
//   unique and are what the API speaks.
// - dashboard_users.role keeps its name and holds the role's slug, now a foreign key to
//   roles.slug: a user cannot hold a role that does not exist, and a role with holders cannot be
//   deleted (RESTRICT).
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { syncRoleVocabulary } from '../../modules/roles/role-vocabulary';

export class Roles1764000008000 implements MigrationInterface {
  name = 'Roles1764000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE permissions (
        id varchar(64) PRIMARY KEY,
        description varchar(200) NOT NULL
      )`);
    await q.query(`
      CREATE TABLE roles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug varchar(32) NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,31}$'),
        name varchar(64) NOT NULL,
        preset boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE role_permissions (
        role_id uuid NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        permission varchar(64) NOT NULL REFERENCES permissions(id) ON DELETE CASCADE,
        PRIMARY KEY (role_id, permission)
      )`);
    await syncRoleVocabulary(q);

    await q.query(`ALTER TABLE dashboard_users DROP CONSTRAINT IF EXISTS dashboard_users_role_check`);
    await q.query(`
      ALTER TABLE dashboard_users
        ALTER COLUMN role TYPE varchar(32),
        ADD CONSTRAINT dashboard_users_role_fk FOREIGN KEY (role) REFERENCES roles(slug)
          ON UPDATE CASCADE ON DELETE RESTRICT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dashboard_users DROP CONSTRAINT dashboard_users_role_fk`);
    // Custom roles and the new presets have no place in the two-role schema: their holders become users.
    await q.query(`UPDATE dashboard_users SET role = 'user' WHERE role NOT IN ('admin', 'user')`);
    await q.query(`
      ALTER TABLE dashboard_users
        ALTER COLUMN role TYPE varchar(16),
        ADD CONSTRAINT dashboard_users_role_check CHECK (role IN ('admin', 'user'))`);
    await q.query(`DROP TABLE role_permissions`);
    await q.query(`DROP TABLE roles`);
    await q.query(`DROP TABLE permissions`);
  }
}
