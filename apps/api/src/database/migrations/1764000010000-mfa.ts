// Two-factor sign-in (TOTP, RFC 6238) and its recovery codes.
//
// - user_mfa: one row per user who started or finished enrolment. Secrets are token-vault
//   envelopes (AES-256-GCM), never plaintext; pending_secret holds a secret between setup and the
//   first confirmed code.
// - mfa_recovery_codes: ten single-use codes per enrolment, stored as HMAC-SHA256 under a server
//   key; used_at marks the one use (UPDATE ... WHERE used_at IS NULL, so two uses race to one).
// - mfa_used_steps: a TOTP time step accepted for a user. The primary key makes acceptance an
//   INSERT ... ON CONFLICT DO NOTHING: a code is accepted once, on every instance.
// - mfa_pending_logins: a correct password waiting for its second factor, by the SHA-256 of the
//   pending cookie's token, for five minutes and a few wrong codes.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Mfa1764000010000 implements MigrationInterface {
  name = 'Mfa1764000010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_mfa (
        user_id uuid PRIMARY KEY REFERENCES dashboard_users(id) ON DELETE CASCADE,
        totp_secret text,
        enrolled_at timestamptz,
        pending_secret text,
        pending_created_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((totp_secret IS NULL) = (enrolled_at IS NULL)),
        CHECK ((pending_secret IS NULL) = (pending_created_at IS NULL))
      )`);
    await q.query(`
      CREATE TABLE mfa_recovery_codes (
        user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        code_hmac char(64) NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, code_hmac)
      )`);
    await q.query(`
      CREATE TABLE mfa_used_steps (
        user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        step bigint NOT NULL,
        used_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, step)
      )`);
    await q.query(`
      CREATE TABLE mfa_pending_logins (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash char(64) NOT NULL UNIQUE,
        user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        failures integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX mfa_pending_logins_user ON mfa_pending_logins (user_id)`);
    await q.query(`CREATE INDEX mfa_pending_logins_expires ON mfa_pending_logins (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE mfa_pending_logins');
    await q.query('DROP TABLE mfa_used_steps');
    await q.query('DROP TABLE mfa_recovery_codes');
    await q.query('DROP TABLE user_mfa');
  }
}
