// The only code that reads and writes SCIM's view of groups: codex-lb groups joined with
// scim_groups (the directory's externalId). SCIM members are the group's human members; service
// accounts are the group's own business and a directory neither sees nor removes them. Members a
// directory adds get the group role `member`; adding someone who is already in the group keeps
// their role (an owner stays owner).
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { FilterAttributes, SqlFilter } from './scim-filter';

export interface ScimGroupRow {
  id: string;
  slug: string;
  name: string;
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScimGroupMemberRow {
  groupId: string;
  principalId: string;
  username: string;
}

export const GROUP_FILTER_ATTRIBUTES: FilterAttributes = {
  id: { type: 'string', column: 'g.id::text', caseExact: true },
  displayName: { type: 'string', column: 'g.name' },
  externalId: { type: 'string', column: 'sg.external_id', caseExact: true },
};

const SELECT_GROUP = `
  SELECT g.id, g.slug, g.name, sg.external_id AS "externalId", g.created_at AS "createdAt",
         GREATEST(g.updated_at, COALESCE(sg.updated_at, g.updated_at)) AS "updatedAt"
    FROM groups g LEFT JOIN scim_groups sg ON sg.group_id = g.id`;

@Injectable()
export class ScimGroupsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** The group, its row locked when `manager` is a transaction that will change it. */
  async find(id: string, manager?: EntityManager, lock = false): Promise<ScimGroupRow | null> {
    const rows: ScimGroupRow[] = await (manager ?? this.dataSource.manager).query(
      `${SELECT_GROUP} WHERE g.id = $1${lock ? ' FOR UPDATE OF g' : ''}`,
      [id],
    );
    return rows[0] ?? null;
  }

  async list(filter: SqlFilter, offset: number, limit: number): Promise<{ rows: ScimGroupRow[]; total: number }> {
    const where = `WHERE ${filter.sql}`;
    const n = filter.params.length;
    const [counted, rows] = await Promise.all([
      this.dataSource.query(
        `SELECT count(*)::int AS total FROM groups g LEFT JOIN scim_groups sg ON sg.group_id = g.id ${where}`,
        filter.params,
      ) as Promise<{ total: number }[]>,
      limit === 0
        ? Promise.resolve([] as ScimGroupRow[])
        : (this.dataSource.query(
            `${SELECT_GROUP} ${where} ORDER BY g.created_at, g.id OFFSET $${n + 1} LIMIT $${n + 2}`,
            [...filter.params, offset, limit],
          ) as Promise<ScimGroupRow[]>),
    ]);
    return { rows, total: counted[0].total };
  }

  /** Human members of these groups, by group. */
  async members(groupIds: string[], manager?: EntityManager): Promise<Map<string, ScimGroupMemberRow[]>> {
    const rows: ScimGroupMemberRow[] =
      groupIds.length === 0
        ? []
        : await (manager ?? this.dataSource.manager).query(
            `SELECT m.group_id AS "groupId", m.principal_id AS "principalId", u.username
               FROM group_members m JOIN dashboard_users u ON u.id = m.principal_id
              WHERE m.group_id = ANY($1::uuid[]) AND u.kind = 'human'
              ORDER BY lower(u.username), u.id`,
            [groupIds],
          );
    const byGroup = new Map<string, ScimGroupMemberRow[]>(groupIds.map((id) => [id, []]));
    for (const row of rows) byGroup.get(row.groupId)?.push(row);
    return byGroup;
  }

  /** Which of these ids are human users (what a directory may put in a group). */
  async existingHumans(ids: string[], manager: EntityManager): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: { id: string }[] = await manager.query(
      `SELECT id::text FROM dashboard_users WHERE id::text = ANY($1::text[]) AND kind = 'human'`,
      [ids],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** A slug free for `name` (its slugified form, suffixed when taken). */
  async freeSlug(name: string, manager: EntityManager): Promise<string> {
    const base =
      name
        .normalize('NFKD')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 50)
        .replace(/-+$/g, '') || 'group';
    const rows: { slug: string }[] = await manager.query(
      `SELECT lower(slug) AS slug FROM groups WHERE lower(slug) = $1 OR lower(slug) LIKE $2`,
      [base, `${base}-%`],
    );
    const taken = new Set(rows.map((row) => row.slug));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }

  async create(slug: string, name: string, externalId: string | null, manager: EntityManager): Promise<string> {
    const rows: { id: string }[] = await manager.query(`INSERT INTO groups (slug, name) VALUES ($1, $2) RETURNING id`, [
      slug,
      name,
    ]);
    await this.saveExternalId(rows[0].id, externalId, manager);
    return rows[0].id;
  }

  async rename(id: string, name: string, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE groups SET name = $2, updated_at = now() WHERE id = $1`, [id, name]);
  }

  async saveExternalId(id: string, externalId: string | null, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO scim_groups (group_id, external_id) VALUES ($1, $2)
       ON CONFLICT (group_id) DO UPDATE SET external_id = excluded.external_id, updated_at = now()`,
      [id, externalId],
    );
  }

  async externalIdTaken(externalId: string, exceptId: string | null, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM scim_groups WHERE external_id = $1 AND group_id IS DISTINCT FROM $2::uuid`,
      [externalId, exceptId],
    );
    return rows.length > 0;
  }

  /** Adds these users as `member` (someone already in the group keeps their role); the ids added. */
  async addMembers(groupId: string, principalIds: string[], manager: EntityManager): Promise<string[]> {
    if (principalIds.length === 0) return [];
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO group_members (group_id, principal_id, role)
       SELECT $1, unnest($2::uuid[]), 'member'
       ON CONFLICT (group_id, principal_id) DO NOTHING
       RETURNING principal_id::text AS id`,
      [groupId, principalIds],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Removes these human members, and withdraws what each shared into the group (as a member
   * leaving through the dashboard does); the ids removed, with the role each had.
   */
  async removeMembers(
    groupId: string,
    principalIds: string[],
    manager: EntityManager,
  ): Promise<{ id: string; role: string }[]> {
    if (principalIds.length === 0) return [];
    const rows: { id: string; role: string }[] = await manager.query(
      `DELETE FROM group_members m USING dashboard_users u
        WHERE m.group_id = $1 AND m.principal_id = ANY($2::uuid[]) AND u.id = m.principal_id AND u.kind = 'human'
        RETURNING m.principal_id::text AS id, m.role`,
      [groupId, principalIds],
    );
    if (rows.length > 0) {
      await manager.query(
        `DELETE FROM account_shares s USING accounts a
          WHERE s.group_id = $1 AND s.account_id = a.id AND a.owner_user_id = ANY($2::uuid[])`,
        [groupId, rows.map((row) => row.id)],
      );
    }
    return rows;
  }

  async ownedAccountCount(id: string, manager: EntityManager): Promise<number> {
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM accounts WHERE owner_group_id = $1`,
      [id],
    );
    return rows[0].n;
  }

  async delete(id: string, manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM groups WHERE id = $1`, [id]);
  }
}
