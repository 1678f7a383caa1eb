// The only code that touches roles, role_permissions and permissions. Roles are not owned rows:
// the routes' permissions (roles:read, roles:manage) are the gate, and the service's rules decide
// what a caller may grant. dashboard_users is read here only to count and list a role's holders.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface RoleRow {
  id: string;
  slug: string;
  name: string;
  preset: boolean;
  permissions: string[];
  holders: number;
}

export interface HolderRow {
  id: string;
  username: string;
  isActive: boolean;
}

/** Active humans holding each management permission. */
export interface ManagerCounts {
  usersManage: number;
  rolesManage: number;
}

/** Every transaction that can take management away from someone takes this lock first. */
const MANAGER_LOCK_ID = 7_346_201_456;

const SELECT_ROLE = `
  SELECT r.id, r.slug, r.name, r.preset,
         ARRAY(SELECT rp.permission::text FROM role_permissions rp WHERE rp.role_id = r.id ORDER BY rp.permission)
           AS permissions,
         (SELECT count(*)::int FROM dashboard_users u WHERE u.role = r.slug) AS holders
    FROM roles r`;

@Injectable()
export class RolesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private db(manager?: EntityManager) {
    return manager ?? this.dataSource.manager;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  listPermissions(): Promise<{ id: string; description: string }[]> {
    return this.dataSource.query(`SELECT id, description FROM permissions`);
  }

  list(): Promise<RoleRow[]> {
    return this.dataSource.query(`${SELECT_ROLE} ORDER BY r.preset DESC, r.created_at, r.slug`);
  }

  async findById(id: string, manager?: EntityManager, lock = false): Promise<RoleRow | null> {
    const rows: RoleRow[] = await this.db(manager).query(
      `${SELECT_ROLE} WHERE r.id = $1${lock ? ' FOR UPDATE OF r' : ''}`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * `keyShare`: holds the row until the transaction ends, so the role cannot be deleted while a
   * user is being given it (the delete waits, then counts the new holder).
   */
  async findBySlug(slug: string, manager?: EntityManager, keyShare = false): Promise<RoleRow | null> {
    const rows: RoleRow[] = await this.db(manager).query(
      `${SELECT_ROLE} WHERE r.slug = $1${keyShare ? ' FOR KEY SHARE OF r' : ''}`,
      [slug],
    );
    return rows[0] ?? null;
  }

  /** Returns null when the slug is taken. */
  async create(role: { slug: string; name: string }, manager: EntityManager): Promise<string | null> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO roles (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [role.slug, role.name],
    );
    return rows[0]?.id ?? null;
  }

  /** Custom roles only: a preset is never changed through here. */
  async rename(id: string, name: string, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE roles SET name = $2, updated_at = now() WHERE id = $1 AND NOT preset`, [id, name]);
  }

  async setPermissions(id: string, permissions: readonly string[], manager: EntityManager): Promise<void> {
    await manager.query(
      `DELETE FROM role_permissions rp USING roles r
        WHERE rp.role_id = r.id AND r.id = $1 AND NOT r.preset AND rp.permission <> ALL($2::varchar[])`,
      [id, [...permissions]],
    );
    await manager.query(
      `INSERT INTO role_permissions (role_id, permission)
       SELECT r.id, p FROM roles r, unnest($2::varchar[]) AS p WHERE r.id = $1 AND NOT r.preset
       ON CONFLICT DO NOTHING`,
      [id, [...permissions]],
    );
    await manager.query(`UPDATE roles SET updated_at = now() WHERE id = $1`, [id]);
  }

  /** Deletes a custom role without holders; false when it has some (or is a preset). */
  async deleteUnused(id: string, manager: EntityManager): Promise<boolean> {
    // The driver answers a DELETE with [rows, affected].
    const [, affected]: [unknown[], number] = await manager.query(
      `DELETE FROM roles r WHERE r.id = $1 AND NOT r.preset
          AND NOT EXISTS (SELECT 1 FROM dashboard_users u WHERE u.role = r.slug)`,
      [id],
    );
    return affected > 0;
  }

  holders(slug: string, limit: number, offset: number): Promise<HolderRow[]> {
    return this.dataSource.query(
      `SELECT u.id, u.username, u.is_active AS "isActive" FROM dashboard_users u
        WHERE u.role = $1 ORDER BY lower(u.username), u.id LIMIT $2 OFFSET $3`,
      [slug, limit, offset],
    );
  }

  /** Serialises every change that may take users:manage or roles:manage from someone. */
  async lockManagers(manager: EntityManager): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock($1)`, [MANAGER_LOCK_ID]);
  }

  async managerCounts(manager: EntityManager): Promise<ManagerCounts> {
    const rows: { permission: string; holders: number }[] = await manager.query(
      `SELECT rp.permission, count(DISTINCT u.id)::int AS holders
         FROM dashboard_users u
         JOIN roles r ON r.slug = u.role
         JOIN role_permissions rp ON rp.role_id = r.id
        WHERE u.is_active AND u.kind = 'human' AND rp.permission IN ('users:manage', 'roles:manage')
        GROUP BY rp.permission`,
    );
    const count = (permission: string) => rows.find((row) => row.permission === permission)?.holders ?? 0;
    return { usersManage: count('users:manage'), rolesManage: count('roles:manage') };
  }
}
