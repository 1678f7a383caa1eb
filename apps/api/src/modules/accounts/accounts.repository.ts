// The only code that touches the accounts table. Every method that reads or writes an
// owned row takes an OwnerScope and carries it in the WHERE clause: zero rows means not found.
// Token and quota writes made by background work (refresh, polling) address rows by id alone;
// they are never reachable from a request with another owner's id.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { ownerCondition, type OwnerScope } from '../../common/owner-scope';
import { AccountEntity, type AccountStatus } from './account.entity';
import type { QuotaSnapshot } from './quota';

export interface AccountRow extends AccountEntity {
  /** Null for a group-owned account. */
  ownerUsername: string | null;
  /** The owning group's name, for a group-owned account. */
  ownerGroupName: string | null;
  /** Every group the account is shared into (the service shows the caller only theirs). */
  sharedWith: string[];
}

/** Reading reaches shared and group-owned accounts of the caller's groups; writing does not. */
export type AccountAccess = 'read' | 'write';

/**
 * The account access condition for a WHERE clause. A user reads their own accounts, those their
 * groups own and those shared into their groups; they change their own and those of groups they
 * own. An admin ("all") reaches every account, optionally narrowed to one owning user.
 */
export function accountCondition(scope: OwnerScope, access: AccountAccess, params: unknown[]): string {
  if (!('userId' in scope)) return ownerCondition(scope, 'a.owner_user_id', params);
  params.push(scope.userId);
  const user = `$${params.length}`;
  if (access === 'write') {
    params.push(scope.ownedGroupIds ?? []);
    return ` AND (a.owner_user_id = ${user} OR a.owner_group_id = ANY($${params.length}::uuid[]))`;
  }
  params.push(scope.groupIds ?? []);
  const groups = `$${params.length}::uuid[]`;
  return ` AND (a.owner_user_id = ${user} OR a.owner_group_id = ANY(${groups})
            OR EXISTS (SELECT 1 FROM account_shares s WHERE s.account_id = a.id AND s.group_id = ANY(${groups})))`;
}

export interface NewAccount {
  ownerUserId: string;
  chatgptAccountId: string;
  chatgptUserId: string;
  email: string | null;
  planType: string | null;
  accessTokenEnc: string;
  refreshTokenEnc: string;
  idTokenEnc: string;
  tokenExpiresAt: Date | null;
}

/** The persisted part of an account's state (see account-state.ts for what the values mean). */
export interface StatusChange {
  status: AccountStatus;
  statusReason: string | null;
  cooldownUntil: Date | null;
}

const SELECT = `
  SELECT a.*, u.username AS owner_username, g.name AS owner_group_name,
         ARRAY(SELECT s.group_id::text FROM account_shares s WHERE s.account_id = a.id ORDER BY s.group_id) AS shared_with
    FROM accounts a
    LEFT JOIN dashboard_users u ON u.id = a.owner_user_id
    LEFT JOIN groups g ON g.id = a.owner_group_id`;

function toRow(raw: Record<string, unknown>, dataSource: DataSource): AccountRow {
  const metadata = dataSource.getMetadata(AccountEntity);
  const entity = new AccountEntity() as AccountRow;
  for (const column of metadata.columns) {
    const value = raw[column.databaseName];
    (entity as unknown as Record<string, unknown>)[column.propertyName] =
      column.transformer && !Array.isArray(column.transformer) ? column.transformer.from(value) : value;
  }
  entity.ownerUsername = (raw.owner_username as string | null) ?? null;
  entity.ownerGroupName = (raw.owner_group_name as string | null) ?? null;
  entity.sharedWith = (raw.shared_with as string[] | null) ?? [];
  return entity;
}

@Injectable()
export class AccountsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(scope: OwnerScope): Promise<AccountRow[]> {
    const params: unknown[] = [];
    const rows = await this.dataSource.query(
      `${SELECT} WHERE true${accountCondition(scope, 'read', params)} ORDER BY a.created_at, a.id`,
      params,
    );
    return rows.map((row: Record<string, unknown>) => toRow(row, this.dataSource));
  }

  async find(
    scope: OwnerScope,
    id: string,
    access: AccountAccess = 'read',
    manager?: EntityManager,
  ): Promise<AccountRow | null> {
    const params: unknown[] = [id];
    const rows = await (manager ?? this.dataSource.manager).query(
      `${SELECT} WHERE a.id = $1${accountCondition(scope, access, params)}`,
      params,
    );
    return rows[0] ? toRow(rows[0], this.dataSource) : null;
  }

  /** Internal lookup for background work and the proxy's cache, never for a request's input. */
  async findByIdUnscoped(id: string, manager?: EntityManager): Promise<AccountRow | null> {
    const rows = await (manager ?? this.dataSource.manager).query(`${SELECT} WHERE a.id = $1`, [id]);
    return rows[0] ? toRow(rows[0], this.dataSource) : null;
  }

  async listAllUnscoped(): Promise<AccountRow[]> {
    const rows = await this.dataSource.query(`${SELECT} ORDER BY a.created_at`);
    return rows.map((row: Record<string, unknown>) => toRow(row, this.dataSource));
  }

  /** Null when the seat is already registered (by anyone). */
  async insert(account: NewAccount, manager?: EntityManager): Promise<string | null> {
    const rows: { id: string }[] = await (manager ?? this.dataSource.manager).query(
      `INSERT INTO accounts (owner_user_id, chatgpt_account_id, chatgpt_user_id, email, plan_type,
                             access_token_enc, refresh_token_enc, id_token_enc, token_expires_at, last_refresh_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT ON CONSTRAINT accounts_seat_unique DO NOTHING
       RETURNING id`,
      [
        account.ownerUserId,
        account.chatgptAccountId,
        account.chatgptUserId,
        account.email,
        account.planType,
        account.accessTokenEnc,
        account.refreshTokenEnc,
        account.idTokenEnc,
        account.tokenExpiresAt,
      ],
    );
    return rows[0]?.id ?? null;
  }

  async setAlias(scope: OwnerScope, id: string, alias: string | null, manager?: EntityManager): Promise<boolean> {
    const params: unknown[] = [id, alias];
    const result = await (manager ?? this.dataSource.manager).query(
      `UPDATE accounts a SET alias = $2, updated_at = now() WHERE a.id = $1${accountCondition(scope, 'write', params)}`,
      params,
    );
    return result[1] > 0;
  }

  /**
   * Writes a state computed by account-state.ts, compare-and-set on the status and cooldown it was
   * computed from: false when the row changed meanwhile (or is not in scope). A null scope is for
   * background work and the proxy only (AccountStateService.applyUnscoped).
   */
  async compareAndSetStatus(
    scope: OwnerScope | null,
    id: string,
    expected: Pick<StatusChange, 'status' | 'cooldownUntil'>,
    change: StatusChange,
    manager?: EntityManager,
  ): Promise<boolean> {
    const params: unknown[] = [
      id,
      change.status,
      change.statusReason,
      change.cooldownUntil,
      expected.status,
      expected.cooldownUntil,
    ];
    const result = await (manager ?? this.dataSource.manager).query(
      `UPDATE accounts a SET status = $2, status_reason = $3, cooldown_until = $4, updated_at = now()
        WHERE a.id = $1 AND a.status = $5 AND a.cooldown_until IS NOT DISTINCT FROM $6${scope ? accountCondition(scope, 'write', params) : ''}`,
      params,
    );
    return result[1] > 0;
  }

  async delete(scope: OwnerScope, id: string, manager?: EntityManager): Promise<boolean> {
    const params: unknown[] = [id];
    const result = await (manager ?? this.dataSource.manager).query(
      `DELETE FROM accounts a WHERE a.id = $1${accountCondition(scope, 'write', params)}`,
      params,
    );
    return result[1] > 0;
  }

  async reassignOwner(id: string, ownerId: string): Promise<boolean> {
    return this.moveOwner(id, { userId: ownerId });
  }

  /**
   * Moves an account to a user or a group (the caller checked the right to). Its shares go: they
   * were the previous owner's decision. Returns the groups whose pools changed.
   */
  async moveOwner(id: string, to: { userId?: string; groupId?: string }, outer?: EntityManager): Promise<boolean> {
    const work = async (manager: EntityManager) => {
      const result = await manager.query(
        `UPDATE accounts SET owner_user_id = $2, owner_group_id = $3, updated_at = now() WHERE id = $1`,
        [id, to.userId ?? null, to.groupId ?? null],
      );
      if (result[1] === 0) return false;
      await manager.query(`DELETE FROM account_shares WHERE account_id = $1`, [id]);
      return true;
    };
    return outer ? work(outer) : this.dataSource.transaction(work);
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async groupExists(groupId: string, manager?: EntityManager): Promise<boolean> {
    const rows = await (manager ?? this.dataSource.manager).query(`SELECT 1 FROM groups WHERE id = $1`, [groupId]);
    return rows.length > 0;
  }

  /** Shares an account into a group (idempotent). */
  async share(accountId: string, groupId: string, sharedBy: string, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO account_shares (account_id, group_id, shared_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [accountId, groupId, sharedBy],
    );
  }

  /** Withdraws a share; false when there was none. */
  async unshare(accountId: string, groupId: string, manager?: EntityManager): Promise<boolean> {
    const result = await (manager ?? this.dataSource.manager).query(
      `DELETE FROM account_shares WHERE account_id = $1 AND group_id = $2`,
      [accountId, groupId],
    );
    return result[1] > 0;
  }

  async userExists(userId: string, manager?: EntityManager): Promise<boolean> {
    const rows = await (manager ?? this.dataSource.manager).query(`SELECT 1 FROM dashboard_users WHERE id = $1`, [
      userId,
    ]);
    return rows.length > 0;
  }

  /**
   * Claims the right to refresh an account's tokens for `leaseMs`, across processes. Returns the
   * stored token envelopes when claimed, null when another holder's lease is still running.
   */
  async claimRefreshLease(
    id: string,
    holder: string,
    leaseMs: number,
  ): Promise<{ refreshTokenEnc: string; accessTokenEnc: string; tokenExpiresAt: Date | null } | null> {
    const rows = await this.dataSource.query(
      `UPDATE accounts SET refresh_lease_until = now() + make_interval(secs => $3 / 1000.0), refresh_lease_owner = $2
        WHERE id = $1 AND (refresh_lease_until IS NULL OR refresh_lease_until < now() OR refresh_lease_owner = $2)
        RETURNING refresh_token_enc, access_token_enc, token_expires_at`,
      [id, holder, leaseMs],
    );
    const row = rows[0]?.[0];
    return row
      ? {
          refreshTokenEnc: row.refresh_token_enc,
          accessTokenEnc: row.access_token_enc,
          tokenExpiresAt: row.token_expires_at,
        }
      : null;
  }

  async releaseRefreshLease(id: string, holder: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE accounts SET refresh_lease_until = NULL, refresh_lease_owner = NULL WHERE id = $1 AND refresh_lease_owner = $2`,
      [id, holder],
    );
  }

  /**
   * Compare-and-set on the refresh token that was sent: a stale writer changes nothing. Tokens
   * only: the status follows through AccountStateService ('refreshed').
   */
  async storeRefreshedTokens(
    id: string,
    previousRefreshTokenEnc: string,
    tokens: { accessTokenEnc: string; refreshTokenEnc: string; idTokenEnc: string; tokenExpiresAt: Date | null },
  ): Promise<boolean> {
    const result = await this.dataSource.query(
      `UPDATE accounts SET access_token_enc = $3, refresh_token_enc = $4, id_token_enc = $5, token_expires_at = $6,
              last_refresh_at = now(), refresh_lease_until = NULL, refresh_lease_owner = NULL, updated_at = now()
        WHERE id = $1 AND refresh_token_enc = $2`,
      [
        id,
        previousRefreshTokenEnc,
        tokens.accessTokenEnc,
        tokens.refreshTokenEnc,
        tokens.idTokenEnc,
        tokens.tokenExpiresAt,
      ],
    );
    return result[1] > 0;
  }

  /** Replaces every token of a seat after a new sign-in; the status follows through AccountStateService. */
  async replaceTokens(
    id: string,
    tokens: { accessTokenEnc: string; refreshTokenEnc: string; idTokenEnc: string; tokenExpiresAt: Date | null },
    planType: string | null,
    email: string | null,
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.dataSource.manager).query(
      `UPDATE accounts SET access_token_enc = $2, refresh_token_enc = $3, id_token_enc = $4, token_expires_at = $5,
              plan_type = COALESCE($6, plan_type), email = COALESCE($7, email), last_refresh_at = now(),
              updated_at = now()
        WHERE id = $1`,
      [id, tokens.accessTokenEnc, tokens.refreshTokenEnc, tokens.idTokenEnc, tokens.tokenExpiresAt, planType, email],
    );
  }

  async findSeat(
    chatgptAccountId: string,
    chatgptUserId: string,
    manager?: EntityManager,
  ): Promise<{ id: string; ownerUserId: string | null } | null> {
    const rows = await (manager ?? this.dataSource.manager).query(
      `SELECT id, owner_user_id FROM accounts WHERE chatgpt_account_id = $1 AND chatgpt_user_id = $2`,
      [chatgptAccountId, chatgptUserId],
    );
    return rows[0] ? { id: rows[0].id, ownerUserId: rows[0].owner_user_id } : null;
  }

  async recordQuota(id: string, snapshot: QuotaSnapshot): Promise<void> {
    const p = snapshot.primary;
    const s = snapshot.secondary;
    await this.dataSource.query(
      `UPDATE accounts SET
            primary_used_percent = COALESCE($2, primary_used_percent),
            primary_window_minutes = COALESCE($3, primary_window_minutes),
            primary_resets_at = COALESCE($4, primary_resets_at),
            secondary_used_percent = COALESCE($5, secondary_used_percent),
            secondary_window_minutes = COALESCE($6, secondary_window_minutes),
            secondary_resets_at = COALESCE($7, secondary_resets_at),
            credits_balance = COALESCE($8, credits_balance),
            credits_unlimited = COALESCE($9, credits_unlimited),
            plan_type = COALESCE($10, plan_type),
            quota_fetched_at = now()
          WHERE id = $1`,
      [
        id,
        p?.usedPercent ?? null,
        p?.windowMinutes ?? null,
        p?.resetsAt ?? null,
        s?.usedPercent ?? null,
        s?.windowMinutes ?? null,
        s?.resetsAt ?? null,
        snapshot.creditsBalance,
        snapshot.creditsUnlimited,
        snapshot.planType,
      ],
    );
  }
}
