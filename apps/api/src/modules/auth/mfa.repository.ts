// The only code that touches the two-factor tables (migration 1764000010000-mfa). Every rule that
// must hold across instances is one statement: a step accepted once (ON CONFLICT DO NOTHING), a
// recovery code used once (UPDATE ... WHERE used_at IS NULL), a pending sign-in consumed once
// (DELETE ... RETURNING). Times come from the database clock.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface MfaStateRow {
  totpSecret: string | null;
  enrolledAt: Date | null;
  pendingSecret: string | null;
  /** Whether the pending secret is younger than the setup window. */
  pendingFresh: boolean;
}

export interface PendingLoginRow {
  id: string;
  userId: string;
  failures: number;
}

/** What the driver answers an UPDATE or DELETE: the RETURNING rows and the affected count. */
type Modified<T = unknown> = [T[], number];

/** Steps older than this many are deleted as new ones are accepted (the window is ±1). */
const KEEP_STEPS = 10;

@Injectable()
export class MfaRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Seconds since a session was opened; null when it does not exist. */
  async sessionAgeSeconds(sessionId: string): Promise<number | null> {
    const rows: { age: number }[] = await this.dataSource.query(
      `SELECT extract(epoch FROM now() - created_at)::float8 AS age FROM dashboard_sessions WHERE id = $1`,
      [sessionId],
    );
    return rows.length === 0 ? null : Number(rows[0].age);
  }

  private db(manager?: EntityManager) {
    return manager ?? this.dataSource.manager;
  }

  async state(userId: string, setupWindowSeconds: number): Promise<MfaStateRow | null> {
    const rows: MfaStateRow[] = await this.dataSource.query(
      `SELECT totp_secret AS "totpSecret", enrolled_at AS "enrolledAt", pending_secret AS "pendingSecret",
              COALESCE(pending_created_at > now() - make_interval(secs => $2), false) AS "pendingFresh"
         FROM user_mfa WHERE user_id = $1`,
      [userId, setupWindowSeconds],
    );
    return rows[0] ?? null;
  }

  async isEnrolled(userId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM user_mfa WHERE user_id = $1 AND enrolled_at IS NOT NULL`,
      [userId],
    );
    return rows.length > 0;
  }

  /** Starts (or restarts) setup for a user not enrolled; false when they are enrolled. */
  async setPending(userId: string, envelope: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO user_mfa (user_id, pending_secret, pending_created_at) VALUES ($1, $2, now())
       ON CONFLICT (user_id) DO UPDATE
          SET pending_secret = EXCLUDED.pending_secret, pending_created_at = now(), updated_at = now()
        WHERE user_mfa.enrolled_at IS NULL
       RETURNING user_id`,
      [userId, envelope],
    );
    return rows.length > 0;
  }

  /** The pending secret becomes the secret, if it is still the one the code was checked against. */
  async enrol(manager: EntityManager, userId: string, envelope: string): Promise<boolean> {
    const [, count]: Modified = await manager.query(
      `UPDATE user_mfa
          SET totp_secret = pending_secret, enrolled_at = now(),
              pending_secret = NULL, pending_created_at = NULL, updated_at = now()
        WHERE user_id = $1 AND pending_secret = $2 AND enrolled_at IS NULL
       RETURNING user_id`,
      [userId, envelope],
    );
    return count > 0;
  }

  async replaceRecoveryCodes(manager: EntityManager, userId: string, hmacs: string[]): Promise<void> {
    await manager.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
    await manager.query(`INSERT INTO mfa_recovery_codes (user_id, code_hmac) SELECT $1, unnest($2::char(64)[])`, [
      userId,
      hmacs,
    ]);
  }

  async remainingRecoveryCodes(userId: string): Promise<number> {
    const rows: { count: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS count FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL`,
      [userId],
    );
    return rows[0]?.count ?? 0;
  }

  /** Everything two-factor of a user: secret, codes, steps and pending sign-ins. True if enrolled. */
  async remove(manager: EntityManager, userId: string): Promise<boolean> {
    const [rows]: Modified<{ enrolled: boolean }> = await manager.query(
      `DELETE FROM user_mfa WHERE user_id = $1 RETURNING enrolled_at IS NOT NULL AS enrolled`,
      [userId],
    );
    await manager.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM mfa_used_steps WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM mfa_pending_logins WHERE user_id = $1`, [userId]);
    return rows[0]?.enrolled ?? false;
  }

  /** Accepts a time step once: false when it was already accepted (a replayed code). */
  async acceptStep(userId: string, step: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO mfa_used_steps (user_id, step) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING step`,
      [userId, step],
    );
    if (rows.length > 0) {
      await this.dataSource.query(`DELETE FROM mfa_used_steps WHERE user_id = $1 AND step < $2`, [
        userId,
        step - KEEP_STEPS,
      ]);
    }
    return rows.length > 0;
  }

  /** Marks an unused recovery code used: true for exactly one of any number of concurrent uses. */
  async useRecoveryCode(userId: string, hmac: string): Promise<boolean> {
    const [, count]: Modified = await this.dataSource.query(
      `UPDATE mfa_recovery_codes SET used_at = now()
        WHERE user_id = $1 AND code_hmac = $2 AND used_at IS NULL`,
      [userId, hmac],
    );
    return count > 0;
  }

  async createPendingLogin(tokenHash: string, userId: string, ttlSeconds: number): Promise<void> {
    await this.dataSource.query(`DELETE FROM mfa_pending_logins WHERE expires_at <= now()`);
    await this.dataSource.query(
      `INSERT INTO mfa_pending_logins (token_hash, user_id, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [tokenHash, userId, ttlSeconds],
    );
  }

  async findPendingLogin(tokenHash: string): Promise<PendingLoginRow | null> {
    const rows: PendingLoginRow[] = await this.dataSource.query(
      `SELECT p.id, p.user_id AS "userId", p.failures
         FROM mfa_pending_logins p
         JOIN dashboard_users u ON u.id = p.user_id
        WHERE p.token_hash = $1 AND p.expires_at > now() AND u.is_active AND u.kind = 'human'`,
      [tokenHash],
    );
    return rows[0] ?? null;
  }

  /** Counts a wrong code; the pending sign-in is dropped at the limit. Returns tries left. */
  async failPendingLogin(id: string, maxFailures: number): Promise<number> {
    const [rows]: Modified<{ failures: number }> = await this.dataSource.query(
      `UPDATE mfa_pending_logins SET failures = failures + 1 WHERE id = $1 RETURNING failures`,
      [id],
    );
    const failures = rows[0]?.failures ?? maxFailures;
    if (failures >= maxFailures) await this.dataSource.query(`DELETE FROM mfa_pending_logins WHERE id = $1`, [id]);
    return Math.max(0, maxFailures - failures);
  }

  /** Consumes a pending sign-in: true for the one caller that deleted it. */
  async consumePendingLogin(manager: EntityManager, id: string): Promise<boolean> {
    const [, count]: Modified = await manager.query(`DELETE FROM mfa_pending_logins WHERE id = $1`, [id]);
    return count > 0;
  }

  async deletePendingLogin(tokenHash: string): Promise<void> {
    await this.db().query(`DELETE FROM mfa_pending_logins WHERE token_hash = $1`, [tokenHash]);
  }
}
