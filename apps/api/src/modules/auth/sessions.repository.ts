// The only code that touches dashboard_sessions.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { RoleSlug } from '@codex-lb/shared';

export interface ActiveSessionRow {
  sessionId: string;
  lastSeenAt: Date;
  userId: string;
  username: string;
  role: RoleSlug;
  /** The role's permissions as stored now: a role change is seen by the next request. */
  permissions: string[];
  mustChangePassword: boolean;
  /**
   * Whether the user has two-factor sign-in set up, or this session's sign-in passed the identity
   * provider's own second factor where the provider is trusted for it (the policy check is the
   * service's).
   */
  mfaEnrolled: boolean;
  hasPassword: boolean;
}

/** A user's role's permissions, read with the row that names the role (u is dashboard_users). */
export const ROLE_PERMISSIONS_SQL = `ARRAY(SELECT rp.permission::text FROM roles r
                JOIN role_permissions rp ON rp.role_id = r.id WHERE r.slug = u.role)`;

@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The absolute cap from the database clock, like every other session time. */
  async create(
    input: {
      tokenHash: string;
      userId: string;
      expiresInSeconds: number;
      ip: string | null;
      userAgent: string | null;
      mfaAtProvider?: boolean;
    },
    manager?: EntityManager,
  ): Promise<string> {
    const rows: { id: string }[] = await (manager ?? this.dataSource.manager).query(
      `INSERT INTO dashboard_sessions (token_hash, user_id, expires_at, ip, user_agent, mfa_at_provider)
       VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5, $6) RETURNING id`,
      [input.tokenHash, input.userId, input.expiresInSeconds, input.ip, input.userAgent, input.mfaAtProvider ?? false],
    );
    return rows[0].id;
  }

  /**
   * A session is valid while it is under its absolute cap and idle timeout, its user is an
   * active human (a service account never has a session, however its row came to be), and it was
   * created after the user's last password change. The role's permissions come with it, so a
   * session holds no cached authority.
   */
  async findValid(tokenHash: string, idleSeconds: number): Promise<ActiveSessionRow | null> {
    const rows: ActiveSessionRow[] = await this.dataSource.query(
      `SELECT s.id AS "sessionId", s.last_seen_at AS "lastSeenAt", u.id AS "userId",
              u.username, u.role, u.must_change_password AS "mustChangePassword",
              u.password_hash IS NOT NULL AS "hasPassword",
              ${ROLE_PERMISSIONS_SQL} AS permissions,
              (s.mfa_at_provider OR EXISTS (SELECT 1 FROM user_mfa m WHERE m.user_id = u.id AND m.enrolled_at IS NOT NULL))
                AS "mfaEnrolled"
         FROM dashboard_sessions s
         JOIN dashboard_users u ON u.id = s.user_id
        WHERE s.token_hash = $1
          AND s.expires_at > now()
          AND s.last_seen_at > now() - make_interval(secs => $2)
          AND u.is_active
          AND u.kind = 'human'
          AND s.created_at >= u.password_changed_at`,
      [tokenHash, idleSeconds],
    );
    return rows[0] ?? null;
  }

  /** The effective permissions of a user's role (for the login payload). */
  async permissionsOf(userId: string): Promise<string[]> {
    const rows: { permissions: string[] }[] = await this.dataSource.query(
      `SELECT ${ROLE_PERMISSIONS_SQL} AS permissions FROM dashboard_users u WHERE u.id = $1`,
      [userId],
    );
    return rows[0]?.permissions ?? [];
  }

  async touch(sessionId: string): Promise<void> {
    await this.dataSource.query(`UPDATE dashboard_sessions SET last_seen_at = now() WHERE id = $1`, [sessionId]);
  }

  async delete(sessionId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM dashboard_sessions WHERE id = $1`, [sessionId]);
  }

  async deleteByTokenHash(tokenHash: string, manager?: EntityManager): Promise<boolean> {
    const result: [unknown[], number] = await (manager ?? this.dataSource.manager).query(
      `DELETE FROM dashboard_sessions WHERE token_hash = $1`,
      [tokenHash],
    );
    return (result[1] ?? 0) > 0;
  }

  async deleteForUser(userId: string, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource.manager).query(`DELETE FROM dashboard_sessions WHERE user_id = $1`, [userId]);
  }

  async deleteForUserIfInvalid(userId: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM dashboard_sessions s USING dashboard_users u
        WHERE s.user_id = u.id AND u.id = $1
          AND (NOT u.is_active OR u.kind <> 'human' OR s.created_at < u.password_changed_at)`,
      [userId],
    );
  }

  async deleteExpired(idleSeconds: number): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM dashboard_sessions
        WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $1)`,
      [idleSeconds],
    );
    return result[1] ?? 0;
  }
}
