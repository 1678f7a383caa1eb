// The first sign-in of a person the directory created: a provider may name the ID token claim that
// carries the directory's externalId (`sub` at Okta, `oid` at Entra ID). An unknown identity whose
// claim equals the externalId of an active user the directory created links to that user.
//
// - identity_providers.scim_external_id_claim: the claim's name, NULL = no such link.
// - scim_users.created_by_scim: the directory created this user. A user created here (by an admin
//   or at a first sign-in) that the directory merely updated never links this way, so a SCIM token
//   cannot give an existing account's sign-in to an identity by writing its externalId. Rows from
//   before this migration were created by SCIM when they were written in the user's own
//   transaction (equal created_at, now() being the transaction's time).
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdentityScimLink1764000013000 implements MigrationInterface {
  name = 'IdentityScimLink1764000013000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE identity_providers
        ADD COLUMN scim_external_id_claim varchar(64) NULL
          CHECK (scim_external_id_claim ~ '^[A-Za-z0-9_.:/-]{1,64}$')`);
    await q.query(`ALTER TABLE scim_users ADD COLUMN created_by_scim boolean NOT NULL DEFAULT false`);
    await q.query(`
      UPDATE scim_users s SET created_by_scim = true
        FROM dashboard_users u
       WHERE u.id = s.user_id AND u.created_at = s.created_at AND u.password_hash IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE scim_users DROP COLUMN created_by_scim`);
    await q.query(`ALTER TABLE identity_providers DROP COLUMN scim_external_id_claim`);
  }
}
