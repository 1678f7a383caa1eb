// The only code that reads and writes SCIM's view of users: dashboard_users (humans only; a
// service account is not a directory user and is never found here) joined with scim_users, which
// holds what SCIM says beyond codex-lb's columns. Writes take the caller's transaction so each
// change commits with its audit row.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { FilterAttributes, SqlFilter } from './scim-filter';

export interface ScimEmail {
  value: string;
  type?: string;
  primary?: boolean;
}

export interface ScimUserRow {
  id: string;
  username: string;
  role: string;
  isActive: boolean;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: ScimEmail[];
  createdAt: Date;
  updatedAt: Date;
  groups: { id: string; name: string }[];
}

/** What SCIM stores beyond dashboard_users. */
export interface ScimUserAttributes {
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: ScimEmail[];
}

/** The attributes a Users filter may name, over the list query's aliases. */
export const USER_FILTER_ATTRIBUTES: FilterAttributes = {
  id: { type: 'string', column: 'u.id::text', caseExact: true },
  userName: { type: 'string', column: 'u.username' },
  externalId: { type: 'string', column: 's.external_id', caseExact: true },
  displayName: { type: 'string', column: 's.display_name' },
  'name.givenName': { type: 'string', column: 's.given_name' },
  'name.familyName': { type: 'string', column: 's.family_name' },
  active: { type: 'boolean', column: 'u.is_active' },
  emails: { type: 'string', some: emailTest },
  'emails.value': { type: 'string', some: emailTest },
};

function emailTest(test: (element: string) => string): string {
  return `EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(s.emails, '[]'::jsonb)) e WHERE ${test(`(e->>'value')`)})`;
}

const SELECT_USER = `
  SELECT u.id, u.username, u.role, u.is_active AS "isActive", u.created_at AS "createdAt",
         GREATEST(u.updated_at, COALESCE(s.updated_at, u.updated_at)) AS "updatedAt",
         s.external_id AS "externalId", s.display_name AS "displayName", s.given_name AS "givenName",
         s.family_name AS "familyName", COALESCE(s.emails, '[]'::jsonb) AS emails,
         COALESCE((SELECT jsonb_agg(jsonb_build_object('id', g.id, 'name', g.name) ORDER BY lower(g.name), g.id)
                     FROM group_members m JOIN groups g ON g.id = m.group_id
                    WHERE m.principal_id = u.id), '[]'::jsonb) AS groups
    FROM dashboard_users u LEFT JOIN scim_users s ON s.user_id = u.id`;

@Injectable()
export class ScimUsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async find(id: string, manager?: EntityManager): Promise<ScimUserRow | null> {
    const rows: ScimUserRow[] = await (manager ?? this.dataSource.manager).query(
      `${SELECT_USER} WHERE u.id = $1 AND u.kind = 'human'`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** A page of the users the filter selects (oldest first), and how many it selects in all. */
  async list(filter: SqlFilter, offset: number, limit: number): Promise<{ rows: ScimUserRow[]; total: number }> {
    const where = `WHERE u.kind = 'human' AND ${filter.sql}`;
    const n = filter.params.length;
    const [counted, rows] = await Promise.all([
      this.dataSource.query(
        `SELECT count(*)::int AS total FROM dashboard_users u LEFT JOIN scim_users s ON s.user_id = u.id ${where}`,
        filter.params,
      ) as Promise<{ total: number }[]>,
      limit === 0
        ? Promise.resolve([] as ScimUserRow[])
        : (this.dataSource.query(
            `${SELECT_USER} ${where} ORDER BY u.created_at, u.id OFFSET $${n + 1} LIMIT $${n + 2}`,
            [...filter.params, offset, limit],
          ) as Promise<ScimUserRow[]>),
    ]);
    return { rows, total: counted[0].total };
  }

  /** Another user (than `exceptId`) already holding this username or externalId, if any. */
  async clash(
    username: string,
    externalId: string | null,
    exceptId: string | null,
    manager: EntityManager,
  ): Promise<'userName' | 'externalId' | null> {
    const rows: { what: 'userName' | 'externalId' }[] = await manager.query(
      `SELECT 'userName' AS what FROM dashboard_users WHERE lower(username) = lower($1) AND id IS DISTINCT FROM $3::uuid
       UNION ALL
       SELECT 'externalId' FROM scim_users WHERE $2::text IS NOT NULL AND external_id = $2 AND user_id IS DISTINCT FROM $3::uuid
       LIMIT 1`,
      [username, externalId, exceptId],
    );
    return rows[0]?.what ?? null;
  }

  /** A human user without a password (they sign in through the company's identity provider). */
  async create(
    user: { username: string; role: string; isActive: boolean },
    manager: EntityManager,
  ): Promise<string | null> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO dashboard_users (username, password_hash, role, must_change_password, is_active)
       VALUES ($1, NULL, $2, false, $3)
       ON CONFLICT ((lower(username))) DO NOTHING
       RETURNING id`,
      [user.username, user.role, user.isActive],
    );
    return rows[0]?.id ?? null;
  }

  async setUsername(id: string, username: string, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE dashboard_users SET username = $2, updated_at = now() WHERE id = $1`, [id, username]);
  }

  /**
   * `created` marks a user this directory created (their identity may link by externalId at the
   * first sign-in); an update never sets or clears it.
   */
  async saveAttributes(
    id: string,
    attributes: ScimUserAttributes,
    manager: EntityManager,
    created = false,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO scim_users (user_id, external_id, display_name, given_name, family_name, emails, created_by_scim)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
       ON CONFLICT (user_id) DO UPDATE
         SET external_id = excluded.external_id, display_name = excluded.display_name,
             given_name = excluded.given_name, family_name = excluded.family_name,
             emails = excluded.emails, updated_at = now()`,
      [
        id,
        attributes.externalId,
        attributes.displayName,
        attributes.givenName,
        attributes.familyName,
        JSON.stringify(attributes.emails),
        created,
      ],
    );
  }
}
