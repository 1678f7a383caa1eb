// Brings the database in line with the vocabulary in libs/shared: every permission the code
// knows is a row of `permissions` (so role_permissions can only name known ones), and the preset
// roles exist with their stable ids and exactly their code-defined permissions. Idempotent and
// safe on several instances at once: the migration runs it, and every start runs it again, so a
// permission added in a later release reaches the database (and the admin preset) at boot.
import { PERMISSION_DESCRIPTIONS, PERMISSIONS, PRESET_ROLES } from '@codex-lb/shared';

/** Anything that runs SQL: a QueryRunner, an EntityManager or a DataSource. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export async function syncRoleVocabulary(db: SqlRunner): Promise<void> {
  await db.query(
    `INSERT INTO permissions (id, description)
     SELECT * FROM unnest($1::varchar[], $2::varchar[])
     ON CONFLICT (id) DO UPDATE SET description = excluded.description
       WHERE permissions.description IS DISTINCT FROM excluded.description`,
    [[...PERMISSIONS], PERMISSIONS.map((permission) => PERMISSION_DESCRIPTIONS[permission])],
  );
  for (const preset of PRESET_ROLES) {
    await db.query(
      `INSERT INTO roles (id, slug, name, preset) VALUES ($1, $2, $3, true)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, preset = true
         WHERE roles.name IS DISTINCT FROM excluded.name OR NOT roles.preset`,
      [preset.id, preset.slug, preset.name],
    );
    await db.query(
      `INSERT INTO role_permissions (role_id, permission)
       SELECT $1, unnest($2::varchar[])
       ON CONFLICT DO NOTHING`,
      [preset.id, [...preset.permissions]],
    );
    await db.query(`DELETE FROM role_permissions WHERE role_id = $1 AND permission <> ALL($2::varchar[])`, [
      preset.id,
      [...preset.permissions],
    ]);
  }
}
