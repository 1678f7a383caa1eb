// The only code that touches the groups tables (groups, group_members, account_shares). Reads a
// dashboard user asked for take a GroupScope: an admin sees every group, a user only the groups
// they belong to, so another group is simply not found. The *Unscoped reads feed the in-memory
// GroupIndex and are never reachable with request input.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { GroupRole } from '@codex-lb/shared';
import type { OwnerScope } from '../../common/owner-scope';

export interface GroupRow {
  id: string;
  slug: string;
  name: string;
  myRole: GroupRole | null;
  memberCount: number;
  ownedAccountCount: number;
  sharedAccountCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface GroupMemberRow {
  groupId: string;
  principalId: string;
  username: string;
  kind: 'human' | 'service';
  role: GroupRole;
  createdAt: Date;
}

export interface GroupRelations {
  members: { groupId: string; principalId: string; role: GroupRole }[];
  owned: { groupId: string; accountId: string }[];
  shares: { groupId: string; accountId: string }[];
}

/** Keys attached to a group, with their owner and allowlist, for the impact preview. */
export interface AttachedKeyRow {
  id: string;
  name: string;
  ownerUserId: string;
  groupIds: string[];
  accountIds: string[] | null;
}

const SELECT_GROUP = `
  SELECT g.id, g.slug, g.name, g.created_at AS "createdAt", g.updated_at AS "updatedAt",
         (SELECT m.role FROM group_members m WHERE m.group_id = g.id AND m.principal_id = $1) AS "myRole",
         (SELECT count(*)::int FROM group_members m WHERE m.group_id = g.id) AS "memberCount",
         (SELECT count(*)::int FROM accounts a WHERE a.owner_group_id = g.id) AS "ownedAccountCount",
         (SELECT count(*)::int FROM account_shares s WHERE s.group_id = g.id) AS "sharedAccountCount"
    FROM groups g`;

/** A user reaches a group they are a member of; an admin ("all") reaches every group. */
function memberCondition(scope: OwnerScope): string {
  return 'userId' in scope
    ? ` AND EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.principal_id = $1)`
    : '';
}

function callerId(scope: OwnerScope): string | null {
  return 'userId' in scope ? scope.userId : null;
}

@Injectable()
export class GroupsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** `caller` names whose role myRole reports (an admin's own, possibly none). */
  async list(scope: OwnerScope, caller: string): Promise<GroupRow[]> {
    return this.dataSource.query(`${SELECT_GROUP} WHERE true${memberCondition(scope)} ORDER BY lower(g.slug), g.id`, [
      callerId(scope) ?? caller,
    ]);
  }

  async find(scope: OwnerScope, id: string, caller: string, manager?: EntityManager): Promise<GroupRow | null> {
    const rows: GroupRow[] = await (manager ?? this.dataSource.manager).query(
      `${SELECT_GROUP} WHERE g.id = $2${memberCondition(scope)}`,
      [callerId(scope) ?? caller, id],
    );
    return rows[0] ?? null;
  }

  /** Null when the slug is taken (case-insensitively). */
  async create(slug: string, name: string, ownerId: string, manager: EntityManager): Promise<string | null> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO groups (slug, name) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id`,
      [slug, name],
    );
    if (!rows[0]) return null;
    await manager.query(`INSERT INTO group_members (group_id, principal_id, role) VALUES ($1, $2, 'owner')`, [
      rows[0].id,
      ownerId,
    ]);
    return rows[0].id;
  }

  /** False when the new slug is taken. */
  async update(id: string, patch: { slug?: string; name?: string }, manager: EntityManager): Promise<boolean> {
    if (patch.slug !== undefined) {
      const taken: unknown[] = await manager.query(`SELECT 1 FROM groups WHERE lower(slug) = lower($1) AND id <> $2`, [
        patch.slug,
        id,
      ]);
      if (taken.length > 0) return false;
    }
    await manager.query(
      `UPDATE groups SET slug = COALESCE($2, slug), name = COALESCE($3, name), updated_at = now() WHERE id = $1`,
      [id, patch.slug ?? null, patch.name ?? null],
    );
    return true;
  }

  async delete(id: string, manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM groups WHERE id = $1`, [id]);
  }

  async ownedAccountCount(id: string, manager: EntityManager): Promise<number> {
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM accounts WHERE owner_group_id = $1`,
      [id],
    );
    return rows[0].n;
  }

  /** Locks the group's row so membership changes of one group apply one at a time. */
  async lock(id: string, manager: EntityManager): Promise<void> {
    await manager.query(`SELECT 1 FROM groups WHERE id = $1 FOR UPDATE`, [id]);
  }

  async members(groupId: string, manager?: EntityManager): Promise<GroupMemberRow[]> {
    return (manager ?? this.dataSource.manager).query(
      `SELECT m.group_id AS "groupId", m.principal_id AS "principalId", u.username, u.kind, m.role,
              m.created_at AS "createdAt"
         FROM group_members m JOIN dashboard_users u ON u.id = m.principal_id
        WHERE m.group_id = $1 ORDER BY lower(u.username), u.id`,
      [groupId],
    );
  }

  async principalExists(principalId: string, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM dashboard_users WHERE id = $1`, [principalId]);
    return rows.length > 0;
  }

  async putMember(groupId: string, principalId: string, role: GroupRole, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO group_members (group_id, principal_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (group_id, principal_id) DO UPDATE SET role = excluded.role`,
      [groupId, principalId, role],
    );
  }

  /**
   * Removes a member, and withdraws what they shared into the group (an account shared by someone
   * who left would otherwise stay in a pool its owner no longer sees). Returns false if absent.
   */
  async removeMember(groupId: string, principalId: string, manager: EntityManager): Promise<boolean> {
    const result: [unknown[], number] = await manager.query(
      `DELETE FROM group_members WHERE group_id = $1 AND principal_id = $2`,
      [groupId, principalId],
    );
    if ((result[1] ?? 0) === 0) return false;
    await manager.query(
      `DELETE FROM account_shares s USING accounts a
        WHERE s.group_id = $1 AND s.account_id = a.id AND a.owner_user_id = $2`,
      [groupId, principalId],
    );
    return true;
  }

  /** Accounts the principal shared into the group (withdrawn when they leave it). */
  async sharesBy(groupId: string, principalId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT s.account_id::text AS id FROM account_shares s JOIN accounts a ON a.id = s.account_id
        WHERE s.group_id = $1 AND a.owner_user_id = $2`,
      [groupId, principalId],
    );
    return rows.map((row) => row.id);
  }

  async roleOf(groupId: string, principalId: string, manager?: EntityManager): Promise<GroupRole | null> {
    const rows: { role: GroupRole }[] = await (manager ?? this.dataSource.manager).query(
      `SELECT role FROM group_members WHERE group_id = $1 AND principal_id = $2`,
      [groupId, principalId],
    );
    return rows[0]?.role ?? null;
  }

  async ownerCount(groupId: string, manager: EntityManager): Promise<number> {
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM group_members WHERE group_id = $1 AND role = 'owner'`,
      [groupId],
    );
    return rows[0].n;
  }

  /** Keys attached to the group (any owner), for the impact preview. */
  async attachedKeys(groupId: string): Promise<AttachedKeyRow[]> {
    return this.dataSource.query(
      `SELECT k.id, k.name, k.owner_user_id AS "ownerUserId",
              ARRAY(SELECT kg.group_id::text FROM api_key_groups kg WHERE kg.api_key_id = k.id) AS "groupIds",
              CASE WHEN k.accounts_restricted
                   THEN ARRAY(SELECT ka.account_id::text FROM api_key_accounts ka WHERE ka.api_key_id = k.id)
              END AS "accountIds"
         FROM api_keys k
        WHERE k.revoked_at IS NULL
          AND EXISTS (SELECT 1 FROM api_key_groups kg WHERE kg.api_key_id = k.id AND kg.group_id = $1)
        ORDER BY k.created_at, k.id`,
      [groupId],
    );
  }

  /** Members, owned accounts and shares of these groups (all groups when none are named). */
  async relationsUnscoped(groupIds?: string[]): Promise<GroupRelations> {
    const filter = groupIds ? ` WHERE group_id = ANY($1::uuid[])` : '';
    const params = groupIds ? [groupIds] : [];
    const [members, owned, shares] = await Promise.all([
      this.dataSource.query(
        `SELECT group_id::text AS "groupId", principal_id::text AS "principalId", role FROM group_members${filter}`,
        params,
      ),
      this.dataSource.query(
        `SELECT owner_group_id::text AS "groupId", id::text AS "accountId" FROM accounts
          WHERE owner_group_id IS NOT NULL${groupIds ? ' AND owner_group_id = ANY($1::uuid[])' : ''}`,
        params,
      ),
      this.dataSource.query(
        `SELECT group_id::text AS "groupId", account_id::text AS "accountId" FROM account_shares${filter}`,
        params,
      ),
    ]);
    return { members, owned, shares };
  }
}
