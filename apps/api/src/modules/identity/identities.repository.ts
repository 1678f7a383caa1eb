// The only code that touches user_identities and oidc_login_states, and the few writes a sign-in
// makes to users and group memberships. An identity is found by (issuer, subject) and nothing else.
// A login state is consumed by DELETE ... RETURNING: one callback wins it, on every instance.
// The one other way to a user is the directory's externalId (findDirectoryUser), never an e-mail.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { GroupRole, RoleSlug } from '@codex-lb/shared';
import { DataSource, EntityManager } from 'typeorm';

export interface IdentityRow {
  id: string;
  userId: string;
  providerId: string;
  email: string | null;
}

export interface LinkedIdentityRow {
  id: string;
  providerSlug: string;
  providerName: string;
  email: string | null;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface LoginStateInput {
  stateHash: string;
  browserHash: string;
  providerId: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  linkUserId: string | null;
  ttlSeconds: number;
}

export interface LoginStateRow {
  browserHash: string;
  providerId: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  linkUserId: string | null;
  fresh: boolean;
}

@Injectable()
export class IdentitiesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  // ---- login states ----

  async saveState(state: LoginStateInput): Promise<void> {
    // Old states go as new ones arrive: the table holds only the last few minutes.
    await this.dataSource.query(`DELETE FROM oidc_login_states WHERE expires_at < now() - interval '1 hour'`);
    await this.dataSource.query(
      `INSERT INTO oidc_login_states
         (state_hash, browser_hash, provider_id, code_verifier, nonce, return_to, link_user_id, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))`,
      [
        state.stateHash,
        state.browserHash,
        state.providerId,
        state.codeVerifier,
        state.nonce,
        state.returnTo,
        state.linkUserId,
        state.ttlSeconds,
      ],
    );
  }

  /** Takes the state out (whatever comes next, it is never usable again); null when unknown. */
  async consumeState(stateHash: string): Promise<LoginStateRow | null> {
    const [rows]: [LoginStateRow[], number] = await this.dataSource.query(
      `DELETE FROM oidc_login_states WHERE state_hash = $1
       RETURNING browser_hash AS "browserHash", provider_id AS "providerId", code_verifier AS "codeVerifier",
                 nonce, return_to AS "returnTo", link_user_id AS "linkUserId", expires_at > now() AS fresh`,
      [stateHash],
    );
    return rows[0] ?? null;
  }

  // ---- identities ----

  async findIdentity(issuer: string, subject: string, manager?: EntityManager): Promise<IdentityRow | null> {
    const rows: IdentityRow[] = await (manager ?? this.dataSource.manager).query(
      `SELECT id, user_id AS "userId", provider_id AS "providerId", email
         FROM user_identities WHERE issuer = $1 AND subject = $2`,
      [issuer, subject],
    );
    return rows[0] ?? null;
  }

  /**
   * The user the company directory created (over SCIM) with this externalId, if any: its id and
   * whether it is active. Users the directory only updated are not found, nor service accounts.
   */
  async findDirectoryUser(
    externalId: string,
    manager: EntityManager,
  ): Promise<{ userId: string; isActive: boolean } | null> {
    const rows: { userId: string; isActive: boolean }[] = await manager.query(
      `SELECT u.id AS "userId", u.is_active AS "isActive"
         FROM scim_users s JOIN dashboard_users u ON u.id = s.user_id
        WHERE s.external_id = $1 AND s.created_by_scim AND u.kind = 'human'
        LIMIT 2`,
      [externalId],
    );
    // external_id is unique; two rows would mean that rule is gone, and then nobody is linked.
    return rows.length === 1 ? rows[0] : null;
  }

  /** False when the identity is linked already, or the user already has one at this provider. */
  async link(
    identity: { userId: string; providerId: string; issuer: string; subject: string; email: string | null },
    manager: EntityManager,
  ): Promise<string | null> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO user_identities (user_id, provider_id, issuer, subject, email, last_login_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT DO NOTHING RETURNING id`,
      [identity.userId, identity.providerId, identity.issuer, identity.subject, identity.email],
    );
    return rows[0]?.id ?? null;
  }

  async touch(id: string, email: string | null, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE user_identities SET last_login_at = now(), email = $2 WHERE id = $1`, [id, email]);
  }

  listForUser(userId: string): Promise<LinkedIdentityRow[]> {
    return this.dataSource.query(
      `SELECT i.id, p.slug AS "providerSlug", p.name AS "providerName", i.email, i.created_at AS "createdAt",
              i.last_login_at AS "lastLoginAt"
         FROM user_identities i JOIN identity_providers p ON p.id = i.provider_id
        WHERE i.user_id = $1 ORDER BY p.slug`,
      [userId],
    );
  }

  /** Whether the user has a password, and how many identities (locked with the user's row). */
  async signInMethods(userId: string, manager: EntityManager): Promise<{ hasPassword: boolean; identities: number }> {
    const rows: { hasPassword: boolean; identities: number }[] = await manager.query(
      `SELECT password_hash IS NOT NULL AS "hasPassword",
              (SELECT count(*) FROM user_identities i WHERE i.user_id = u.id)::int AS identities
         FROM dashboard_users u WHERE u.id = $1 FOR UPDATE`,
      [userId],
    );
    return rows[0] ?? { hasPassword: false, identities: 0 };
  }

  /** Ownership in the WHERE clause: another user's identity is not found. */
  async unlink(
    userId: string,
    id: string,
    manager: EntityManager,
  ): Promise<{ id: string; providerId: string; email: string | null } | null> {
    const [rows]: [{ id: string; providerId: string; email: string | null }[], number] = await manager.query(
      `DELETE FROM user_identities WHERE id = $1 AND user_id = $2
       RETURNING id, provider_id AS "providerId", email`,
      [id, userId],
    );
    return rows[0] ?? null;
  }

  // ---- users and memberships a sign-in changes ----

  /** A user with no password (they sign in at the provider); null when the username is taken. */
  async createUser(username: string, role: RoleSlug, manager: EntityManager): Promise<string | null> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO dashboard_users (username, password_hash, role, must_change_password)
       VALUES ($1, NULL, $2, false)
       ON CONFLICT ((lower(username))) DO NOTHING RETURNING id`,
      [username, role],
    );
    return rows[0]?.id ?? null;
  }

  async setRole(userId: string, role: RoleSlug, manager: EntityManager): Promise<boolean> {
    const [, count]: [unknown[], number] = await manager.query(
      `UPDATE dashboard_users SET role = $2, updated_at = now() WHERE id = $1 AND role <> $2`,
      [userId, role],
    );
    return count > 0;
  }

  /** The user's role in each of these groups (absent: not a member). */
  async memberships(userId: string, groupIds: string[], manager: EntityManager): Promise<Map<string, GroupRole>> {
    if (groupIds.length === 0) return new Map();
    const rows: { groupId: string; role: GroupRole }[] = await manager.query(
      `SELECT group_id::text AS "groupId", role FROM group_members
        WHERE principal_id = $1 AND group_id = ANY($2::uuid[])`,
      [userId, groupIds],
    );
    return new Map(rows.map((row) => [row.groupId, row.role]));
  }

  async permissionsOfRole(role: RoleSlug, manager?: EntityManager): Promise<string[]> {
    const rows: { permission: string }[] = await (manager ?? this.dataSource.manager).query(
      `SELECT rp.permission::text AS permission FROM role_permissions rp JOIN roles r ON r.id = rp.role_id
        WHERE r.slug = $1`,
      [role],
    );
    return rows.map((row) => row.permission);
  }

  async roleExists(role: RoleSlug, manager?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await (manager ?? this.dataSource.manager).query(`SELECT 1 FROM roles WHERE slug = $1`, [
      role,
    ]);
    return rows.length > 0;
  }
}
