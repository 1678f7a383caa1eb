// The only code that touches identity_providers, identity_provider_mappings and
// identity_invitations. Providers are not owned rows: identity-providers:manage is the gate. The
// client secret column holds a token-vault envelope; this file never sees the plaintext.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { GroupRole } from '@codex-lb/shared';
import { DataSource, EntityManager } from 'typeorm';

export interface ProviderRow {
  id: string;
  slug: string;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  scopes: string[];
  allowedDomains: string[];
  createUsers: boolean;
  defaultRole: string;
  enabled: boolean;
  acceptAmrAsMfa: boolean;
  scimExternalIdClaim: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MappingRow {
  claim: string;
  value: string;
  role: string | null;
  groupId: string | null;
  groupRole: GroupRole | null;
  allowAdmin: boolean;
}

export type ProviderFields = Omit<ProviderRow, 'id' | 'createdAt' | 'updatedAt'>;

export interface InvitationRow {
  id: string;
  providerId: string;
  email: string;
  role: string | null;
  createdAt: Date;
  expiresAt: Date;
  consumedAt: Date | null;
}

const SELECT_PROVIDER = `
  SELECT id, slug, name, issuer, client_id AS "clientId", client_secret AS "clientSecret", scopes,
         allowed_domains AS "allowedDomains", create_users AS "createUsers", default_role AS "defaultRole",
         enabled, accept_amr_as_mfa AS "acceptAmrAsMfa", scim_external_id_claim AS "scimExternalIdClaim",
         created_at AS "createdAt", updated_at AS "updatedAt"
    FROM identity_providers`;

const SELECT_INVITATION = `
  SELECT id, provider_id AS "providerId", email, role, created_at AS "createdAt", expires_at AS "expiresAt",
         consumed_at AS "consumedAt"
    FROM identity_invitations`;

const COLUMNS: Record<keyof ProviderFields, string> = {
  slug: 'slug',
  name: 'name',
  issuer: 'issuer',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  scopes: 'scopes',
  allowedDomains: 'allowed_domains',
  createUsers: 'create_users',
  defaultRole: 'default_role',
  enabled: 'enabled',
  acceptAmrAsMfa: 'accept_amr_as_mfa',
  scimExternalIdClaim: 'scim_external_id_claim',
};

@Injectable()
export class IdentityProvidersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  private db(manager?: EntityManager) {
    return manager ?? this.dataSource.manager;
  }

  list(): Promise<ProviderRow[]> {
    return this.dataSource.query(`${SELECT_PROVIDER} ORDER BY slug`);
  }

  async find(id: string, manager?: EntityManager): Promise<ProviderRow | null> {
    const rows: ProviderRow[] = await this.db(manager).query(`${SELECT_PROVIDER} WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async findEnabledBySlug(slug: string): Promise<ProviderRow | null> {
    const rows: ProviderRow[] = await this.dataSource.query(`${SELECT_PROVIDER} WHERE slug = $1 AND enabled`, [slug]);
    return rows[0] ?? null;
  }

  /** Null when the slug is taken. */
  async create(fields: ProviderFields, manager: EntityManager): Promise<string | null> {
    const names = Object.keys(COLUMNS) as (keyof ProviderFields)[];
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO identity_providers (${names.map((name) => COLUMNS[name]).join(', ')})
       VALUES (${names.map((_, index) => `$${index + 1}`).join(', ')})
       ON CONFLICT (slug) DO NOTHING RETURNING id`,
      names.map((name) => fields[name]),
    );
    return rows[0]?.id ?? null;
  }

  /** False when the new slug is taken. */
  async update(id: string, patch: Partial<ProviderFields>, manager: EntityManager): Promise<boolean> {
    const names = (Object.keys(patch) as (keyof ProviderFields)[]).filter((name) => patch[name] !== undefined);
    if (patch.slug !== undefined) {
      const taken: unknown[] = await manager.query(`SELECT 1 FROM identity_providers WHERE slug = $1 AND id <> $2`, [
        patch.slug,
        id,
      ]);
      if (taken.length > 0) return false;
    }
    await manager.query(
      `UPDATE identity_providers
          SET ${[...names.map((name, index) => `${COLUMNS[name]} = $${index + 2}`), 'updated_at = now()'].join(', ')}
        WHERE id = $1`,
      [id, ...names.map((name) => patch[name])],
    );
    return true;
  }

  async delete(id: string, manager: EntityManager): Promise<boolean> {
    const [, count]: [unknown[], number] = await manager.query(`DELETE FROM identity_providers WHERE id = $1`, [id]);
    return count > 0;
  }

  mappings(providerId: string, manager?: EntityManager): Promise<MappingRow[]> {
    return this.db(manager).query(
      `SELECT claim, value, role, group_id AS "groupId", group_role AS "groupRole", allow_admin AS "allowAdmin"
         FROM identity_provider_mappings WHERE provider_id = $1 ORDER BY position`,
      [providerId],
    );
  }

  async replaceMappings(providerId: string, mappings: MappingRow[], manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM identity_provider_mappings WHERE provider_id = $1`, [providerId]);
    for (const [position, mapping] of mappings.entries()) {
      await manager.query(
        `INSERT INTO identity_provider_mappings (provider_id, position, claim, value, role, group_id, group_role, allow_admin)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          providerId,
          position,
          mapping.claim,
          mapping.value,
          mapping.role,
          mapping.groupId,
          mapping.groupRole,
          mapping.allowAdmin,
        ],
      );
    }
  }

  /** The ids of these groups that exist. */
  async existingGroups(ids: string[], manager: EntityManager): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: { id: string }[] = await manager.query(`SELECT id::text AS id FROM groups WHERE id = ANY($1::uuid[])`, [
      ids,
    ]);
    return new Set(rows.map((row) => row.id));
  }

  // ---- invitations ----

  invitations(providerId: string): Promise<InvitationRow[]> {
    return this.dataSource.query(`${SELECT_INVITATION} WHERE provider_id = $1 ORDER BY created_at DESC, id LIMIT 500`, [
      providerId,
    ]);
  }

  /** Null when an open invitation for this e-mail at this provider exists. */
  async invite(
    invitation: { providerId: string; email: string; role: string | null; createdBy: string; ttlSeconds: number },
    manager: EntityManager,
  ): Promise<InvitationRow | null> {
    // An expired, unused invitation gives way to the new one.
    await manager.query(
      `DELETE FROM identity_invitations
        WHERE provider_id = $1 AND email = $2 AND consumed_at IS NULL AND expires_at <= now()`,
      [invitation.providerId, invitation.email],
    );
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO identity_invitations (provider_id, email, role, created_by, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
       ON CONFLICT (provider_id, email) WHERE consumed_at IS NULL DO NOTHING RETURNING id`,
      [invitation.providerId, invitation.email, invitation.role, invitation.createdBy, invitation.ttlSeconds],
    );
    if (rows.length === 0) return null;
    const found: InvitationRow[] = await manager.query(`${SELECT_INVITATION} WHERE id = $1`, [rows[0].id]);
    return found[0];
  }

  async deleteInvitation(providerId: string, id: string, manager: EntityManager): Promise<InvitationRow | null> {
    const [rows]: [InvitationRow[], number] = await manager.query(
      `DELETE FROM identity_invitations WHERE id = $1 AND provider_id = $2
       RETURNING id, provider_id AS "providerId", email, role, created_at AS "createdAt",
                 expires_at AS "expiresAt", consumed_at AS "consumedAt"`,
      [id, providerId],
    );
    return rows[0] ?? null;
  }

  /** Consumes the open, unexpired invitation for this e-mail at this provider (once, on every instance). */
  async consumeInvitation(
    providerId: string,
    email: string,
    manager: EntityManager,
  ): Promise<{ id: string; role: string | null } | null> {
    const [rows]: [{ id: string; role: string | null }[], number] = await manager.query(
      `UPDATE identity_invitations SET consumed_at = now()
        WHERE provider_id = $1 AND email = $2 AND consumed_at IS NULL AND expires_at > now()
       RETURNING id, role`,
      [providerId, email],
    );
    return rows[0] ?? null;
  }

  async markInvitationConsumer(id: string, userId: string, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE identity_invitations SET consumed_by = $2 WHERE id = $1`, [id, userId]);
  }
}
