// The only code that touches the api-keys tables. Every read or write of a key a dashboard user
// asked for takes an OwnerScope and carries it in its WHERE clause, so another owner's key is
// simply not found. Reads (list, findReadable) also reach the keys of the caller's groups
// (attached to a group they belong to, or owned by its service accounts); writes reach the
// owner's keys only. The lookups by digest serve authentication, which has no owner yet.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ApiKeyLimitWindow, RoleSlug } from '@codex-lb/shared';
import { groupKeysSql, ownerCondition, type OwnerScope } from '../../common/owner-scope';
import type { KeyLimit } from './api-key.types';

export interface ApiKeyRow {
  id: string;
  ownerUserId: string;
  ownerUsername: string;
  name: string;
  prefix: string;
  isActive: boolean;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  allowedModels: string[];
  accountsRestricted: boolean;
  /** Allowlisted accounts the owner may still route to (a reassigned account drops out). */
  accountIds: string[];
  /** Attached groups (the owner's membership is checked where the pool is computed). */
  groupIds: string[];
  scopes: string[];
  /** Every allowlisted account id, including ones the owner can no longer use (the pool drops those). */
  allowlistIds: string[];
  limits: KeyLimit[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ApiKeyAuthRow extends ApiKeyRow {
  keyDigest: string;
  ownerRole: RoleSlug;
  ownerPermissions: string[];
  ownerActive: boolean;
}

export interface NewApiKey {
  ownerUserId: string;
  name: string;
  prefix: string;
  keyDigest: string;
  expiresAt: Date | null;
  allowedModels: string[];
  accountIds: string[] | null;
  groupIds: string[];
  scopes: string[];
  limits: KeyLimit[];
}

export interface ApiKeyPatch {
  name?: string;
  expiresAt?: Date | null;
  allowedModels?: string[];
  isActive?: boolean;
  /** null lifts the restriction; a list replaces the allowlist. */
  accountIds?: string[] | null;
  /** Replaces the attached groups. */
  groupIds?: string[];
  scopes?: string[];
  limits?: KeyLimit[];
}

export interface UsageRow {
  apiKeyId: string;
  window: ApiKeyLimitWindow;
  windowStart: number;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
}

/** SQL: account `a` is owned by or shared into a group where `owner` (trusted SQL) is a member or owner. */
const routingGroupAccount = (owner: string) => `EXISTS (
  SELECT 1 FROM group_members gm
   WHERE gm.principal_id = ${owner} AND gm.role IN ('owner', 'member')
     AND (gm.group_id = a.owner_group_id
          OR gm.group_id IN (SELECT s.group_id FROM account_shares s WHERE s.account_id = a.id)))`;

const SELECT_KEY = `
  SELECT k.id, k.owner_user_id AS "ownerUserId", u.username AS "ownerUsername", k.name, k.prefix,
         k.is_active AS "isActive", k.expires_at AS "expiresAt", k.revoked_at AS "revokedAt",
         k.last_used_at AS "lastUsedAt", k.allowed_models AS "allowedModels",
         k.accounts_restricted AS "accountsRestricted", k.created_at AS "createdAt", k.updated_at AS "updatedAt",
         ARRAY(SELECT ka.account_id::text FROM api_key_accounts ka
                 JOIN accounts a ON a.id = ka.account_id
                WHERE ka.api_key_id = k.id
                  AND (a.owner_user_id = k.owner_user_id OR ${routingGroupAccount('k.owner_user_id')})
                ORDER BY ka.account_id) AS "accountIds",
         ARRAY(SELECT kg.group_id::text FROM api_key_groups kg
                WHERE kg.api_key_id = k.id ORDER BY kg.group_id) AS "groupIds",
         k.scopes,
         ARRAY(SELECT ka.account_id::text FROM api_key_accounts ka WHERE ka.api_key_id = k.id) AS "allowlistIds",
         COALESCE((SELECT json_agg(json_build_object('kind', l.kind, 'window', l."window", 'max', l.max,
                                                     'model', l.model) ORDER BY l.kind, l."window", l.model)
                     FROM api_key_limits l WHERE l.api_key_id = k.id), '[]') AS limits`;

/** Who may read key `k`: its owner (or an admin), and any member of a group the key belongs to. */
function readCondition(scope: OwnerScope, params: unknown[]): string {
  if (!('userId' in scope) || !scope.groupIds?.length) return ownerCondition(scope, 'k.owner_user_id', params);
  params.push(scope.userId, scope.groupIds);
  return ` AND (k.owner_user_id = $${params.length - 1} OR k.id IN (${groupKeysSql(`$${params.length}::uuid[]`)}))`;
}

function normalizeRow<T extends ApiKeyRow>(row: T): T {
  row.limits = row.limits.map((limit) => ({ ...limit, max: Number(limit.max) }));
  return row;
}

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** The keys the scope may read: its own, and its groups' (see readCondition). */
  async list(scope: OwnerScope): Promise<ApiKeyRow[]> {
    const params: unknown[] = [];
    const rows: ApiKeyRow[] = await this.dataSource.query(
      `${SELECT_KEY} FROM api_keys k JOIN dashboard_users u ON u.id = k.owner_user_id
        WHERE true${readCondition(scope, params)}
        ORDER BY k.created_at DESC, k.id`,
      params,
    );
    return rows.map(normalizeRow);
  }

  /** A key the scope may read: its own, or one of its groups' (see readCondition). */
  async findReadable(scope: OwnerScope, id: string): Promise<ApiKeyRow | null> {
    const params: unknown[] = [id];
    const rows: ApiKeyRow[] = await this.dataSource.query(
      `${SELECT_KEY} FROM api_keys k JOIN dashboard_users u ON u.id = k.owner_user_id
        WHERE k.id = $1${readCondition(scope, params)}`,
      params,
    );
    return rows[0] ? normalizeRow(rows[0]) : null;
  }

  /** A key the scope may change: the owner's (or any for an admin); group membership adds nothing. */
  async findOwned(scope: OwnerScope, id: string, manager?: EntityManager, lock = false): Promise<ApiKeyRow | null> {
    const params: unknown[] = [id];
    const rows: ApiKeyRow[] = await (manager ?? this.dataSource.manager).query(
      `${SELECT_KEY} FROM api_keys k JOIN dashboard_users u ON u.id = k.owner_user_id
        WHERE k.id = $1${ownerCondition(scope, 'k.owner_user_id', params)}${lock ? ' FOR UPDATE OF k' : ''}`,
      params,
    );
    return rows[0] ? normalizeRow(rows[0]) : null;
  }

  /** Authentication's one indexed lookup: the key, its owner's state, allowlist and limits. */
  async findByDigest(keyDigest: string): Promise<ApiKeyAuthRow | null> {
    const rows: ApiKeyAuthRow[] = await this.dataSource.query(
      `${SELECT_KEY}, k.key_digest AS "keyDigest", u.role AS "ownerRole", u.is_active AS "ownerActive",
              ARRAY(SELECT rp.permission::text FROM roles r JOIN role_permissions rp ON rp.role_id = r.id
                     WHERE r.slug = u.role) AS "ownerPermissions"
         FROM api_keys k JOIN dashboard_users u ON u.id = k.owner_user_id
        WHERE k.key_digest = $1`,
      [keyDigest],
    );
    return rows[0] ? normalizeRow(rows[0]) : null;
  }

  async userExists(userId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM dashboard_users WHERE id = $1`, [userId]);
    return rows.length > 0;
  }

  /**
   * Set-based allowlist check: of these account ids, which may this owner route to (their own, or
   * owned by or shared into a group where they are a member or owner)?
   */
  async usableAccountIds(ownerUserId: string, accountIds: string[], manager?: EntityManager): Promise<Set<string>> {
    if (accountIds.length === 0) return new Set();
    const rows: { id: string }[] = await (manager ?? this.dataSource.manager).query(
      `SELECT a.id::text AS id FROM accounts a
        WHERE a.id = ANY($2::uuid[])
          AND (a.owner_user_id = $1 OR ${routingGroupAccount('$1')})`,
      [ownerUserId, accountIds],
    );
    return new Set(rows.map((row) => row.id));
  }

  async create(key: NewApiKey, manager: EntityManager): Promise<string> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO api_keys (owner_user_id, name, prefix, key_digest, expires_at, allowed_models, accounts_restricted,
                             scopes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [
        key.ownerUserId,
        key.name,
        key.prefix,
        key.keyDigest,
        key.expiresAt,
        key.allowedModels,
        key.accountIds !== null,
        key.scopes,
      ],
    );
    const id = rows[0].id;
    if (key.accountIds) await this.replaceAccounts(id, key.accountIds, manager);
    await this.replaceGroups(id, key.groupIds, manager);
    await this.replaceLimits(id, key.limits, manager);
    return id;
  }

  /** Applies a patch to a key already found (and locked) under the caller's scope. */
  async update(id: string, ownerUserId: string, patch: ApiKeyPatch, manager: EntityManager): Promise<boolean> {
    const sets: string[] = ['updated_at = now()'];
    const params: unknown[] = [id, ownerUserId];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.expiresAt !== undefined) set('expires_at', patch.expiresAt);
    if (patch.allowedModels !== undefined) set('allowed_models', patch.allowedModels);
    if (patch.isActive !== undefined) set('is_active', patch.isActive);
    if (patch.scopes !== undefined) set('scopes', patch.scopes);
    if (patch.accountIds !== undefined) set('accounts_restricted', patch.accountIds !== null);
    const result: [unknown[], number] = await manager.query(
      `UPDATE api_keys SET ${sets.join(', ')} WHERE id = $1 AND owner_user_id = $2`,
      params,
    );
    if ((result[1] ?? 0) === 0) return false;
    if (patch.accountIds !== undefined) await this.replaceAccounts(id, patch.accountIds ?? [], manager);
    if (patch.limits !== undefined) await this.replaceLimits(id, patch.limits, manager);
    if (patch.groupIds !== undefined) await this.replaceGroups(id, patch.groupIds, manager);
    return true;
  }

  /** Swaps the secret of a live key; returns false when no unrevoked key matches in scope. */
  async rotateSecret(
    scope: OwnerScope,
    id: string,
    secret: { keyDigest: string; prefix: string },
    manager?: EntityManager,
  ): Promise<boolean> {
    const params: unknown[] = [id, secret.keyDigest, secret.prefix];
    const result: [unknown[], number] = await (manager ?? this.dataSource).query(
      `UPDATE api_keys SET key_digest = $2, prefix = $3, updated_at = now()
        WHERE id = $1 AND revoked_at IS NULL${ownerCondition(scope, 'owner_user_id', params)}`,
      params,
    );
    return (result[1] ?? 0) > 0;
  }

  /** Revokes (idempotently); the row stays so logs keep naming the key. */
  async revoke(scope: OwnerScope, id: string, manager?: EntityManager): Promise<boolean> {
    const params: unknown[] = [id];
    const result: [unknown[], number] = await (manager ?? this.dataSource).query(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), is_active = false, updated_at = now()
        WHERE id = $1${ownerCondition(scope, 'owner_user_id', params)}`,
      params,
    );
    return (result[1] ?? 0) > 0;
  }

  async findLimits(id: string): Promise<KeyLimit[]> {
    const rows: KeyLimit[] = await this.dataSource.query(
      `SELECT kind, "window", max, model FROM api_key_limits WHERE api_key_id = $1 ORDER BY kind, "window", model`,
      [id],
    );
    return rows.map((row) => ({ ...row, max: Number(row.max) }));
  }

  /** Batched from the authenticator's flusher: one statement for every key used since the last. */
  async touchLastUsed(ids: string[], times: Date[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE api_keys k SET last_used_at = v.t
         FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, t)
        WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.t)`,
      [ids, times],
    );
  }

  async addUsage(rows: UsageRow[]): Promise<void> {
    if (rows.length === 0) return;
    const column = <K extends keyof UsageRow>(key: K) => rows.map((row) => row[key]);
    await this.dataSource.query(
      `INSERT INTO api_key_usage AS u (api_key_id, window_kind, window_start, model, requests, input_tokens,
                                       output_tokens, total_tokens, cost_usd)
       SELECT v.* FROM unnest($1::uuid[], $2::varchar[], $3::timestamptz[], $4::varchar[], $5::bigint[],
                              $6::bigint[], $7::bigint[], $8::bigint[], $9::numeric[])
              AS v(api_key_id, window_kind, window_start, model, requests, input_tokens, output_tokens,
                   total_tokens, cost_usd)
       -- A key deleted with its owner since the usage was settled has nowhere to go.
       WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.id = v.api_key_id)
       ON CONFLICT (api_key_id, window_kind, window_start, model) DO UPDATE SET
         requests = u.requests + excluded.requests,
         input_tokens = u.input_tokens + excluded.input_tokens,
         output_tokens = u.output_tokens + excluded.output_tokens,
         total_tokens = u.total_tokens + excluded.total_tokens,
         cost_usd = u.cost_usd + excluded.cost_usd,
         updated_at = now()`,
      [
        column('apiKeyId'),
        column('window'),
        rows.map((row) => new Date(row.windowStart)),
        column('model'),
        column('requests').map(Math.round),
        column('inputTokens').map(Math.round),
        column('outputTokens').map(Math.round),
        column('totalTokens').map(Math.round),
        column('costUsd'),
      ],
    );
  }

  /** Settled usage of these keys in the given windows (one row per key, window and model). */
  async loadUsage(keyIds: string[], windows: { window: ApiKeyLimitWindow; start: number }[]): Promise<UsageRow[]> {
    if (keyIds.length === 0 || windows.length === 0) return [];
    const rows: (Omit<UsageRow, 'windowStart'> & { windowStart: Date })[] = await this.dataSource.query(
      `SELECT u.api_key_id::text AS "apiKeyId", u.window_kind AS "window", u.window_start AS "windowStart",
              u.model, u.requests::float8 AS requests, u.input_tokens::float8 AS "inputTokens",
              u.output_tokens::float8 AS "outputTokens", u.total_tokens::float8 AS "totalTokens",
              u.cost_usd::float8 AS "costUsd"
         FROM api_key_usage u
         JOIN unnest($2::varchar[], $3::timestamptz[]) AS w(kind, start)
           ON w.kind = u.window_kind AND w.start = u.window_start
        WHERE u.api_key_id = ANY($1::uuid[])`,
      [keyIds, windows.map((w) => w.window), windows.map((w) => new Date(w.start))],
    );
    return rows.map((row) => ({ ...row, windowStart: new Date(row.windowStart).getTime() }));
  }

  private async replaceAccounts(id: string, accountIds: string[], manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM api_key_accounts WHERE api_key_id = $1`, [id]);
    if (accountIds.length === 0) return;
    await manager.query(
      `INSERT INTO api_key_accounts (api_key_id, account_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
      [id, accountIds],
    );
  }

  /** Set-based attach check: of these group ids, in which is this principal a member or owner? */
  async routingGroupIds(principalId: string, groupIds: string[], manager?: EntityManager): Promise<Set<string>> {
    if (groupIds.length === 0) return new Set();
    const rows: { id: string }[] = await (manager ?? this.dataSource.manager).query(
      `SELECT group_id::text AS id FROM group_members
        WHERE principal_id = $1 AND group_id = ANY($2::uuid[]) AND role IN ('owner', 'member')`,
      [principalId, groupIds],
    );
    return new Set(rows.map((row) => row.id));
  }

  private async replaceGroups(id: string, groupIds: string[], manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM api_key_groups WHERE api_key_id = $1`, [id]);
    if (groupIds.length === 0) return;
    await manager.query(
      `INSERT INTO api_key_groups (api_key_id, group_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
      [id, groupIds],
    );
  }

  private async replaceLimits(id: string, limits: KeyLimit[], manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM api_key_limits WHERE api_key_id = $1`, [id]);
    if (limits.length === 0) return;
    await manager.query(
      `INSERT INTO api_key_limits (api_key_id, kind, "window", max, model)
       SELECT $1, * FROM unnest($2::varchar[], $3::varchar[], $4::numeric[], $5::varchar[])`,
      [
        id,
        limits.map((l) => l.kind),
        limits.map((l) => l.window),
        limits.map((l) => l.max),
        limits.map((l) => l.model),
      ],
    );
  }
}
