// The only code that touches scim_tokens. Tokens are not owned rows: only holders of
// scim-tokens:manage reach these (the controller's permission is the gate), so no OwnerScope.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface ScimTokenRow {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  createdById: string | null;
  createdByUsername: string | null;
  lastUsedAt: Date | null;
}

/** What a SCIM request authenticates as: the live token its bearer digest names. */
export interface ScimTokenIdentity {
  id: string;
  name: string;
  prefix: string;
}

const SELECT_TOKEN = `
  SELECT t.id, t.name, t.prefix, t.created_at AS "createdAt", t.last_used_at AS "lastUsedAt",
         t.created_by AS "createdById", u.username AS "createdByUsername"
    FROM scim_tokens t LEFT JOIN dashboard_users u ON u.id = t.created_by`;

@Injectable()
export class ScimTokensRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Live tokens, newest first. */
  list(): Promise<ScimTokenRow[]> {
    return this.dataSource.query(`${SELECT_TOKEN} WHERE t.revoked_at IS NULL ORDER BY t.created_at DESC, t.id`);
  }

  async find(id: string, manager?: EntityManager): Promise<ScimTokenRow | null> {
    const rows: ScimTokenRow[] = await (manager ?? this.dataSource.manager).query(
      `${SELECT_TOKEN} WHERE t.id = $1 AND t.revoked_at IS NULL`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Serialises token creation so the live-token cap holds under concurrent requests. */
  async lockForCreate(manager: EntityManager): Promise<number> {
    await manager.query(`SELECT pg_advisory_xact_lock(7310019012)`);
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM scim_tokens WHERE revoked_at IS NULL`,
    );
    return rows[0].n;
  }

  async create(
    token: { name: string; prefix: string; digest: string; createdBy: string },
    manager: EntityManager,
  ): Promise<string> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO scim_tokens (name, prefix, token_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
      [token.name, token.prefix, token.digest, token.createdBy],
    );
    return rows[0].id;
  }

  /** False when the token does not exist or was already revoked. */
  async revoke(id: string, manager: EntityManager): Promise<boolean> {
    const result: [unknown[], number] = await manager.query(
      `UPDATE scim_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    );
    return (result[1] ?? 0) > 0;
  }

  /**
   * The live token with this digest, stamping its last use (at most once a minute, to spare
   * writes). One round trip: revoked tokens never match.
   */
  async authenticate(digest: string): Promise<ScimTokenIdentity | null> {
    const rows: ScimTokenIdentity[] = await this.dataSource.query(
      `WITH hit AS (SELECT id, name, prefix, last_used_at FROM scim_tokens WHERE token_hash = $1 AND revoked_at IS NULL),
            touched AS (
              UPDATE scim_tokens t SET last_used_at = now() FROM hit
               WHERE t.id = hit.id AND (hit.last_used_at IS NULL OR hit.last_used_at < now() - interval '1 minute')
            )
       SELECT id, name, prefix FROM hit`,
      [digest],
    );
    return rows[0] ?? null;
  }
}
