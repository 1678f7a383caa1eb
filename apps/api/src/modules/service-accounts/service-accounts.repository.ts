// The only code that touches service-account rows (dashboard_users of kind 'service') and their
// group membership. Every read and write takes a ServiceAccountScope and carries it in its WHERE
// clause: admins reach every service account, anyone else only those of groups they own, so
// another group's service account is simply not found.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { GroupRole } from '@codex-lb/shared';
import { isUniqueViolation } from '../../database/data-source';

/** Who is asking: an admin (every service account) or a principal (those of groups it owns). */
export type ServiceAccountScope = { readonly all: true } | { readonly groupOwnerId: string };

export interface ServiceAccountRow {
  id: string;
  name: string;
  groupId: string | null;
  groupName: string | null;
  isActive: boolean;
  keyCount: number;
  lastUsedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const SELECT = `
  SELECT u.id, u.username AS name, u.service_group_id AS "groupId", g.name AS "groupName",
         u.is_active AS "isActive", u.created_at AS "createdAt", u.updated_at AS "updatedAt",
         (SELECT count(*)::int FROM api_keys k WHERE k.owner_user_id = u.id AND k.revoked_at IS NULL) AS "keyCount",
         (SELECT max(k.last_used_at) FROM api_keys k WHERE k.owner_user_id = u.id) AS "lastUsedAt"
    FROM dashboard_users u
    LEFT JOIN groups g ON g.id = u.service_group_id`;

/** The scope's condition on a dashboard_users row aliased `u` (or unaliased with `column`). */
function scopeCondition(scope: ServiceAccountScope, params: unknown[], column = 'u.service_group_id'): string {
  if ('all' in scope) return '';
  params.push(scope.groupOwnerId);
  return ` AND ${column} IN (SELECT gm.group_id FROM group_members gm
                              WHERE gm.principal_id = $${params.length} AND gm.role = 'owner')`;
}

/**
 * For the group delete path (a plain function, so the groups module needs no dependency on this
 * one): inside the transaction that deletes the group, before the DELETE, disables every service
 * account of the group and returns their ids. The foreign key then clears their group; a
 * disabled service account with no group is what a deleted group leaves behind (an admin may
 * re-enable it as an admins' one). After the commit, emit `user.changed` for each id: the key
 * cache drops their keys and the next request with one is refused.
 */
export async function disableServiceAccountsOfGroup(manager: EntityManager, groupId: string): Promise<string[]> {
  // An UPDATE answers [rows, affected count] through TypeORM's Postgres driver.
  const [rows]: [{ id: string }[], number] = await manager.query(
    `UPDATE dashboard_users SET is_active = false, updated_at = now()
      WHERE kind = 'service' AND service_group_id = $1 RETURNING id`,
    [groupId],
  );
  return rows.map((row) => row.id);
}

@Injectable()
export class ServiceAccountsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async list(scope: ServiceAccountScope, groupId?: string): Promise<ServiceAccountRow[]> {
    const params: unknown[] = [];
    let where = `u.kind = 'service'${scopeCondition(scope, params)}`;
    if (groupId) {
      params.push(groupId);
      where += ` AND u.service_group_id = $${params.length}`;
    }
    return this.dataSource.query(`${SELECT} WHERE ${where} ORDER BY u.created_at, u.id`, params);
  }

  async find(scope: ServiceAccountScope, id: string, manager?: EntityManager): Promise<ServiceAccountRow | null> {
    const params: unknown[] = [id];
    const rows: ServiceAccountRow[] = await (manager ?? this.dataSource.manager).query(
      `${SELECT} WHERE u.id = $1 AND u.kind = 'service'${scopeCondition(scope, params)}`,
      params,
    );
    return rows[0] ?? null;
  }

  /** The principal's role in the group, or null (not a member, or no such group). */
  async groupRole(principalId: string, groupId: string, manager?: EntityManager): Promise<GroupRole | null> {
    const rows: { role: GroupRole }[] = await (manager ?? this.dataSource.manager).query(
      `SELECT role FROM group_members WHERE principal_id = $1 AND group_id = $2`,
      [principalId, groupId],
    );
    return rows[0]?.role ?? null;
  }

  /** Locks the group row (so it cannot be deleted under a new service account); false if gone. */
  async lockGroup(groupId: string, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM groups WHERE id = $1 FOR SHARE`, [groupId]);
    return rows.length > 0;
  }

  /**
   * Creates the principal and, for a group's service account, its `member` row (so its keys draw
   * on the group's pool by the same rule as a member's). Null when the name is taken by any
   * principal.
   */
  async create(input: { name: string; groupId: string | null }, manager: EntityManager): Promise<string | null> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO dashboard_users (username, password_hash, role, kind, service_group_id, must_change_password)
       VALUES ($1, NULL, 'user', 'service', $2, false)
       ON CONFLICT ((lower(username))) DO NOTHING
       RETURNING id`,
      [input.name, input.groupId],
    );
    const id = rows[0]?.id;
    if (!id) return null;
    if (input.groupId) {
      await manager.query(`INSERT INTO group_members (group_id, principal_id, role) VALUES ($1, $2, 'member')`, [
        input.groupId,
        id,
      ]);
    }
    return id;
  }

  /** Renames and/or enables or disables; 'taken' when the new name belongs to another principal. */
  async update(
    scope: ServiceAccountScope,
    id: string,
    patch: { name?: string; isActive?: boolean },
    manager?: EntityManager,
  ): Promise<'updated' | 'not_found' | 'taken'> {
    const params: unknown[] = [id];
    const sets = ['updated_at = now()'];
    if (patch.name !== undefined) {
      params.push(patch.name);
      sets.push(`username = $${params.length}`);
    }
    if (patch.isActive !== undefined) {
      params.push(patch.isActive);
      sets.push(`is_active = $${params.length}`);
    }
    try {
      const result: [unknown[], number] = await (manager ?? this.dataSource.manager).query(
        `UPDATE dashboard_users SET ${sets.join(', ')}
          WHERE id = $1 AND kind = 'service'${scopeCondition(scope, params, 'service_group_id')}`,
        params,
      );
      return (result[1] ?? 0) > 0 ? 'updated' : 'not_found';
    } catch (error) {
      if (isUniqueViolation(error)) return 'taken';
      throw error;
    }
  }

  /** Deletes it with its keys (their rows cascade); false when not found in scope. */
  async delete(scope: ServiceAccountScope, id: string, manager?: EntityManager): Promise<boolean> {
    const params: unknown[] = [id];
    const result: [unknown[], number] = await (manager ?? this.dataSource.manager).query(
      `DELETE FROM dashboard_users WHERE id = $1 AND kind = 'service'${scopeCondition(scope, params, 'service_group_id')}`,
      params,
    );
    return (result[1] ?? 0) > 0;
  }

  /** Service accounts a group's deletion would disable (for its preview). */
  async idsInGroup(groupId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM dashboard_users WHERE kind = 'service' AND service_group_id = $1 ORDER BY created_at, id`,
      [groupId],
    );
    return rows.map((row) => row.id);
  }
}
