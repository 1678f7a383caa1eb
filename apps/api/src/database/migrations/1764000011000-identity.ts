// Company sign-in over OpenID Connect.
//
// - identity_providers: issuer, client id and the client secret as a token-vault envelope (never
//   plaintext), scopes, allowed e-mail domains, whether unknown people are created and with which
//   role (a custom role deleted falls back to the preset `user`; a rule naming it goes with it).
// - identity_provider_mappings: claim/value rules granting a role and/or a group membership.
// - user_identities: a user's identity at a provider, unique by (issuer, subject): the only key a
//   sign-in is matched on (never the e-mail address).
// - identity_invitations: an admin names a provider and an e-mail; the first verified sign-in with
//   that e-mail at that provider creates the user and consumes the invitation (once).
// - oidc_login_states: an authorization request in flight, by the SHA-256 of its `state`, bound to
//   the browser by the SHA-256 of a cookie's value, consumed once by DELETE ... RETURNING.
// - Humans may have no password: someone created at first sign-in signs in only at the provider.
// - dashboard_sessions.mfa_at_provider: the sign-in passed the provider's second factor (its `amr`)
//   at a provider trusted for it, which satisfies CODEX_LB_MFA_REQUIRED for that session.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Identity1764000011000 implements MigrationInterface {
  name = 'Identity1764000011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE identity_providers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug varchar(32) NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,31}$'),
        name varchar(64) NOT NULL,
        issuer varchar(512) NOT NULL,
        client_id varchar(255) NOT NULL,
        client_secret text NULL,
        scopes text[] NOT NULL DEFAULT '{openid,email,profile}',
        allowed_domains text[] NOT NULL DEFAULT '{}',
        create_users boolean NOT NULL DEFAULT false,
        default_role varchar(32) NOT NULL DEFAULT 'user' REFERENCES roles(slug) ON UPDATE CASCADE ON DELETE SET DEFAULT,
        enabled boolean NOT NULL DEFAULT true,
        accept_amr_as_mfa boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE identity_provider_mappings (
        provider_id uuid NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
        position integer NOT NULL,
        claim varchar(64) NOT NULL,
        value varchar(256) NOT NULL,
        role varchar(32) NULL REFERENCES roles(slug) ON UPDATE CASCADE ON DELETE CASCADE,
        group_id uuid NULL REFERENCES groups(id) ON DELETE CASCADE,
        group_role varchar(16) NULL CHECK (group_role IN ('owner', 'member', 'viewer')),
        allow_admin boolean NOT NULL DEFAULT false,
        PRIMARY KEY (provider_id, position),
        CHECK (role IS NOT NULL OR group_id IS NOT NULL),
        CHECK ((group_id IS NULL) = (group_role IS NULL))
      )`);
    await q.query(`CREATE INDEX identity_provider_mappings_group ON identity_provider_mappings (group_id)`);
    await q.query(`
      CREATE TABLE user_identities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        provider_id uuid NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
        issuer varchar(512) NOT NULL,
        subject varchar(255) NOT NULL,
        email varchar(320) NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz NULL,
        UNIQUE (issuer, subject),
        UNIQUE (user_id, provider_id)
      )`);
    await q.query(`
      CREATE TABLE identity_invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider_id uuid NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
        email varchar(320) NOT NULL CHECK (email = lower(email)),
        role varchar(32) NULL REFERENCES roles(slug) ON UPDATE CASCADE ON DELETE SET NULL,
        created_by uuid NULL REFERENCES dashboard_users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        consumed_at timestamptz NULL,
        consumed_by uuid NULL REFERENCES dashboard_users(id) ON DELETE SET NULL
      )`);
    await q.query(
      `CREATE UNIQUE INDEX identity_invitations_open ON identity_invitations (provider_id, email) WHERE consumed_at IS NULL`,
    );
    await q.query(`
      CREATE TABLE oidc_login_states (
        state_hash char(64) PRIMARY KEY,
        browser_hash char(64) NOT NULL,
        provider_id uuid NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
        code_verifier text NOT NULL,
        nonce varchar(128) NOT NULL,
        return_to varchar(256) NOT NULL,
        link_user_id uuid NULL REFERENCES dashboard_users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX oidc_login_states_expires ON oidc_login_states (expires_at)`);
    await q.query(`ALTER TABLE dashboard_users DROP CONSTRAINT IF EXISTS dashboard_users_password_kind`);
    await q.query(`ALTER TABLE dashboard_sessions ADD COLUMN mfa_at_provider boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dashboard_sessions DROP COLUMN mfa_at_provider');
    await q.query('DROP TABLE oidc_login_states');
    await q.query('DROP TABLE identity_invitations');
    await q.query('DROP TABLE user_identities');
    await q.query('DROP TABLE identity_provider_mappings');
    await q.query('DROP TABLE identity_providers');
  }
}
