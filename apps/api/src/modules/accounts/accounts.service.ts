// The rules for upstream accounts: who sees and changes which (owner scope), how a seat is
// registered exactly once in the whole system, and which events change an account's state (the
// rules themselves are in account-state.ts).
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AccountDto } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { TokenVault } from '../../common/crypto/token-vault';
import { DomainEvents } from '../../common/events';
import { ownerForCreate, type OwnerScope } from '../../common/owner-scope';
import type { Principal } from '../../common/principal';
import { AuditService } from '../audit/audit.service';
import { GroupIndex } from '../groups/group-index';
import { groupScopeFor, readableGroupIds } from '../groups/group-scope';
import { ownerIdOf, toAccountDto } from './accounts.mapper';
import { AccountsRepository, type AccountAccess, type AccountRow } from './accounts.repository';
import { persistedChange, resumeBlocker, stateOfRow } from './account-state';
import { AccountStateService } from './account-state.service';
import { AccountTokensService, AccountUnavailableError } from './account-tokens.service';
import { parseAuthJson } from './auth-json';
import { accessTokenExpiry, IdTokenError, readSeatClaims } from './id-token';
import type { QuotaSnapshot } from './quota';
import { UpstreamAuthClient, UpstreamAuthError, type TokenSet } from './upstream-auth.client';

export interface RegisterResult {
  account: AccountDto;
  created: boolean;
}

@Injectable()
export class AccountsService {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly tokens: AccountTokensService,
    private readonly states: AccountStateService,
    private readonly upstream: UpstreamAuthClient,
    private readonly vault: TokenVault,
    private readonly events: DomainEvents,
    private readonly groups: GroupIndex,
    private readonly audit: AuditService,
  ) {}

  async list(principal: Principal, ownerId?: string): Promise<AccountDto[]> {
    const scope = this.scope(principal, ownerId);
    return (await this.accounts.list(scope)).map((row) => this.toDto(scope, row));
  }

  async get(principal: Principal, id: string): Promise<AccountDto> {
    const scope = this.scope(principal);
    return this.toDto(scope, await this.require(principal, id));
  }

  async rename(principal: Principal, id: string, alias: string | null): Promise<AccountDto> {
    const cleaned = alias?.trim() ? alias.trim() : null;
    const scope = this.scope(principal);
    const renamed = await this.accounts.transaction(async (manager) => {
      const before = await this.accounts.find(scope, id, 'write', manager);
      if (!before || !(await this.accounts.setAlias(scope, id, cleaned, manager))) return false;
      await this.audit.record(manager, {
        action: 'account.update',
        target: accountTarget(before),
        changes: { before: { alias: before.alias }, after: { alias: cleaned } },
      });
      return true;
    });
    if (!renamed) await this.requireWritable(principal, id);
    return this.get(principal, id);
  }

  async pause(principal: Principal, id: string): Promise<AccountDto> {
    const scope = this.scope(principal);
    const row = await this.accounts.transaction(async (manager) => {
      const before = await this.accounts.find(scope, id, 'write', manager);
      if (!before) return null;
      const after = await this.states.applyScoped(
        scope,
        id,
        { type: 'paused', message: `Paused by ${principal.username}` },
        Date.now(),
        manager,
      );
      if (after) await this.recordStatus(manager, 'account.pause', before, after);
      return after;
    });
    if (!row) await this.requireWritable(principal, id);
    return this.changed(principal, id);
  }

  /** Resumes a paused account, ends a cooldown early, or reactivates a deactivated one. */
  async resume(principal: Principal, id: string): Promise<AccountDto> {
    const blocker = resumeBlocker(stateOfRow(await this.requireWritable(principal, id)));
    if (blocker) throw ApiError.conflict('conflict', blocker);
    const scope = this.scope(principal);
    const resumed = await this.accounts.transaction(async (manager) => {
      const before = await this.accounts.find(scope, id, 'write', manager);
      const after = before && (await this.states.applyScoped(scope, id, { type: 'resumed' }, Date.now(), manager));
      if (!before || !after) return false;
      await this.recordStatus(manager, 'account.resume', before, after);
      return true;
    });
    if (!resumed) throw ApiError.notFound('Account');
    return this.changed(principal, id);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const current = await this.requireWritable(principal, id);
    await this.accounts.transaction(async (manager) => {
      if (!(await this.accounts.delete(this.scope(principal), id, manager))) throw ApiError.notFound('Account');
      await this.audit.record(manager, {
        action: 'account.delete',
        target: accountTarget(current),
        changes: { before: { email: current.email, alias: current.alias, ownerId: ownerIdOf(current) } },
      });
    });
    await this.groups.reload(...groupsOf(current));
    this.events.emit('account.changed', { accountId: id, ownerId: ownerIdOf(current), deleted: true });
  }

  /**
   * Moves an account to a user or a group. Admins move any account anywhere; the owning user may
   * move their own account into a group they own. Shares go with the old owner.
   */
  async moveOwner(principal: Principal, id: string, to: { userId?: string; groupId?: string }): Promise<AccountDto> {
    if (!to.userId === !to.groupId) throw ApiError.badRequest('Name exactly one of userId and groupId.');
    const admin = principal.permissions.has('accounts:assign-owner');
    const current = await this.require(principal, id);
    if (!admin) {
      if (current.ownerUserId !== principal.userId) {
        throw ApiError.forbidden('Only the account’s owner or an admin can move it.');
      }
      if (!to.groupId || this.groups.roleOf(to.groupId, principal.userId) !== 'owner') {
        throw ApiError.forbidden('You can move your own account only into a group you own.');
      }
    } else if (to.userId && !(await this.accounts.userExists(to.userId))) {
      throw ApiError.badRequest('The new owner does not exist.', 'validation_failed');
    } else if (to.groupId && !(await this.accounts.groupExists(to.groupId))) {
      throw ApiError.badRequest('The group does not exist.', 'validation_failed');
    }
    await this.accounts.transaction(async (manager) => {
      if (!(await this.accounts.moveOwner(id, to, manager))) throw ApiError.notFound('Account');
      await this.audit.record(manager, {
        action: 'account.assign_owner',
        target: accountTarget(current),
        changes: {
          before: {
            ownerUserId: current.ownerUserId,
            ownerGroupId: current.ownerGroupId,
            sharedWith: current.sharedWith,
          },
          after: { ownerUserId: to.userId ?? null, ownerGroupId: to.groupId ?? null, sharedWith: [] },
        },
      });
    });
    // The group index first (synchronously awaited), so the very next request routes by it.
    await this.groups.reload(...groupsOf(current), ...(to.groupId ? [to.groupId] : []));
    // Both the old owner's and the new owner's caches (keys, pools) must forget the account.
    this.events.emit('account.changed', { accountId: id, ownerId: ownerIdOf(current) });
    this.events.emit('account.changed', { accountId: id, ownerId: to.userId ?? to.groupId! });
    return this.get(principal, id);
  }

  async reassign(principal: Principal, id: string, ownerId: string): Promise<AccountDto> {
    return this.moveOwner(principal, id, { userId: ownerId });
  }

  /** Shares an account its owner holds into a group they belong to as member or owner. */
  async share(
    principal: Principal,
    id: string,
    groupId: string,
  ): Promise<{ accountId: string; groupId: string; shared: boolean }> {
    const admin = principal.permissions.has('owners:all');
    const role = this.groups.roleOf(groupId, principal.userId);
    if (!admin && role === undefined) throw ApiError.notFound('Group');
    const current = await this.require(principal, id);
    if (current.ownerUserId === null) {
      throw ApiError.conflict('conflict', 'A group-owned account is in its group’s pool already; it cannot be shared.');
    }
    if (!admin && current.ownerUserId !== principal.userId) {
      throw ApiError.forbidden('Only the account’s owner can share it.');
    }
    if (!admin && role === 'viewer') throw ApiError.forbidden('A viewer of the group cannot share accounts into it.');
    if (admin && !(await this.accounts.groupExists(groupId))) throw ApiError.notFound('Group');
    await this.accounts.transaction(async (manager) => {
      await this.accounts.share(id, groupId, principal.userId, manager);
      await this.audit.record(manager, {
        action: 'account.share',
        target: accountTarget(current),
        changes: { after: { groupId } },
      });
    });
    await this.groups.reload(groupId);
    this.events.emit('account.changed', { accountId: id, ownerId: current.ownerUserId });
    return { accountId: id, groupId, shared: true };
  }

  /** Withdraws a share: the account's owner, an owner of the group, or an admin. */
  async unshare(principal: Principal, id: string, groupId: string): Promise<void> {
    const admin = principal.permissions.has('owners:all');
    const role = this.groups.roleOf(groupId, principal.userId);
    if (!admin && role === undefined) throw ApiError.notFound('Group');
    const current = await this.require(principal, id);
    if (!admin && current.ownerUserId !== principal.userId && role !== 'owner') {
      throw ApiError.forbidden('Only the account’s owner or an owner of the group can withdraw it.');
    }
    await this.accounts.transaction(async (manager) => {
      if (!(await this.accounts.unshare(id, groupId, manager))) throw ApiError.notFound('Share');
      await this.audit.record(manager, {
        action: 'account.unshare',
        target: accountTarget(current),
        changes: { before: { groupId } },
      });
    });
    await this.groups.reload(groupId);
    this.events.emit('account.changed', { accountId: id, ownerId: ownerIdOf(current) });
  }

  /** Polls wham/usage now for one account the caller may see. */
  async refreshUsage(principal: Principal, id: string): Promise<AccountDto> {
    const current = await this.require(principal, id);
    try {
      await this.pollQuota(id);
    } catch (error) {
      if (error instanceof AccountUnavailableError || error instanceof UpstreamAuthError) {
        throw new ApiError(502, 'upstream_error', `Could not read this account's usage: ${error.message}`);
      }
      throw error;
    }
    // The poll's own writes are the quota the upstream reported; the row records who asked for it.
    await this.accounts.transaction((manager) =>
      this.audit.record(manager, { action: 'account.refresh_usage', target: accountTarget(current) }),
    );
    return this.get(principal, id);
  }

  /**
   * Stores a freshly signed-in seat for its owner. The same owner signing in again replaces the
   * tokens (re-authentication); a seat registered by someone else is a 409 that names nobody.
   */
  async register(ownerId: string, tokens: TokenSet, fallbackAccountId?: string | null): Promise<RegisterResult> {
    let claims;
    try {
      claims = readSeatClaims(tokens.idToken, fallbackAccountId);
    } catch (error) {
      const reason = error instanceof IdTokenError ? error.message : 'it cannot be read';
      throw ApiError.badRequest(`The id token is not usable: ${reason}.`, 'invalid_auth_json');
    }
    const encrypted = {
      accessTokenEnc: this.vault.encrypt(tokens.accessToken),
      refreshTokenEnc: this.vault.encrypt(tokens.refreshToken),
      idTokenEnc: this.vault.encrypt(tokens.idToken),
      tokenExpiresAt: accessTokenExpiry(tokens.accessToken),
    };
    const id = await this.accounts.transaction(async (manager) => {
      const created = await this.accounts.insert(
        {
          ownerUserId: ownerId,
          chatgptAccountId: claims.chatgptAccountId,
          chatgptUserId: claims.chatgptUserId,
          email: claims.email,
          planType: claims.planType,
          ...encrypted,
        },
        manager,
      );
      if (created) {
        await this.audit.record(manager, {
          action: 'account.create',
          target: { type: 'account', id: created, label: claims.email },
          changes: { after: { ownerId, email: claims.email, planType: claims.planType } },
        });
      }
      return created;
    });
    if (id) {
      this.events.emit('account.changed', { accountId: id, ownerId });
      const row = (await this.accounts.findByIdUnscoped(id))!;
      return { account: toAccountDto(row, undefined), created: true };
    }
    const existing = await this.accounts.findSeat(claims.chatgptAccountId, claims.chatgptUserId);
    if (!existing || existing.ownerUserId !== ownerId) {
      // A seat a group owns is re-signed by its group's owners through the group, not here.
      throw ApiError.conflict(
        'account_already_registered',
        'This ChatGPT account is already registered in codex-lb. Each seat can be added only once.',
      );
    }
    await this.accounts.transaction(async (manager) => {
      await this.accounts.replaceTokens(existing.id, encrypted, claims.planType, claims.email, manager);
      await this.states.applyUnscoped(existing.id, { type: 'reauthenticated' }, Date.now(), manager);
      await this.audit.record(manager, {
        action: 'account.reauth',
        target: { type: 'account', id: existing.id, label: claims.email },
        changes: { after: { email: claims.email, planType: claims.planType } },
      });
    });
    this.events.emit('account.changed', { accountId: existing.id, ownerId });
    return { account: toAccountDto((await this.accounts.findByIdUnscoped(existing.id))!, undefined), created: false };
  }

  async importAuthJson(principal: Principal, payload: unknown, requestedOwnerId?: string): Promise<RegisterResult> {
    const { tokens, accountId } = parseAuthJson(payload);
    const ownerId = ownerForCreate(principal, requestedOwnerId);
    if (ownerId !== principal.userId && !(await this.accounts.userExists(ownerId))) {
      throw ApiError.badRequest('ownerId does not name an existing user.', 'validation_failed');
    }
    return this.register(ownerId, tokens, accountId);
  }

  ownerFor(principal: Principal, requestedOwnerId?: string): string {
    return ownerForCreate(principal, requestedOwnerId);
  }

  /** One wham/usage poll: refresh on 401 once, then record the windows and adjust the status. */
  async pollQuota(id: string): Promise<void> {
    let access = await this.tokens.getAccess(id);
    let snapshot: QuotaSnapshot;
    try {
      snapshot = await this.upstream.fetchUsage(access.accessToken, access.chatgptAccountId);
    } catch (error) {
      if (!(error instanceof UpstreamAuthError) || error.code !== 'unauthorized') throw error;
      access = await this.tokens.refresh(id);
      snapshot = await this.upstream.fetchUsage(access.accessToken, access.chatgptAccountId);
    }
    await this.recordQuota(id, snapshot, 'poll');
  }

  /** Windows from a poll, response headers or a codex.rate_limits event (the source is no longer stored). */
  async recordQuota(id: string, snapshot: QuotaSnapshot, _source: 'poll' | 'headers' | 'event'): Promise<void> {
    await this.accounts.recordQuota(id, snapshot);
    const row = await this.accounts.findByIdUnscoped(id);
    if (!row) return;
    // The row holds both windows (this snapshot may carry only one): judge by both.
    const after = await this.states.applyUnscoped(id, {
      type: 'quota',
      primaryUsedPercent: row.primaryUsedPercent,
      secondaryUsedPercent: row.secondaryUsedPercent,
      primaryResetsAt: row.primaryResetsAt?.getTime() ?? null,
      secondaryResetsAt: row.secondaryResetsAt?.getTime() ?? null,
    });
    // A status change has already been announced; new windows alone still refresh the caches.
    if (after && !persistedChange(stateOfRow(row), stateOfRow(after))) {
      this.events.emit('account.changed', { accountId: id, ownerId: ownerIdOf(row) });
    }
  }

  /** The caller's scope with their groups (read through any group role, write as group owner). */
  scope(principal: Principal, ownerId?: string): OwnerScope {
    return groupScopeFor(principal, this.groups, ownerId);
  }

  private async require(principal: Principal, id: string, access: AccountAccess = 'read'): Promise<AccountRow> {
    const row = await this.accounts.find(this.scope(principal), id, access);
    if (!row) throw ApiError.notFound('Account');
    return row;
  }

  /** An account the caller may read but not change is a 403; one they cannot read a 404. */
  private async requireWritable(principal: Principal, id: string): Promise<AccountRow> {
    const row = await this.accounts.find(this.scope(principal), id, 'write');
    if (row) return row;
    await this.require(principal, id);
    throw ApiError.forbidden('You can see this account through a group but cannot change it.');
  }

  private recordStatus(
    manager: EntityManager,
    action: 'account.pause' | 'account.resume',
    before: AccountRow,
    after: AccountRow,
  ): Promise<void> {
    return this.audit.record(manager, {
      action,
      target: accountTarget(before),
      changes: { before: { status: before.status }, after: { status: after.status } },
    });
  }

  private toDto(scope: OwnerScope, row: AccountRow): AccountDto {
    return toAccountDto(row, readableGroupIds(scope));
  }

  private async changed(principal: Principal, id: string): Promise<AccountDto> {
    const row = await this.require(principal, id);
    this.events.emit('account.changed', { accountId: id, ownerId: ownerIdOf(row) });
    return this.toDto(this.scope(principal), row);
  }
}

function accountTarget(row: AccountRow): { type: string; id: string; label: string | null } {
  return { type: 'account', id: row.id, label: row.alias ?? row.email };
}

/** Groups whose pools hold the account: its owning group and the groups it is shared into. */
function groupsOf(row: AccountRow): string[] {
  return [...(row.ownerGroupId ? [row.ownerGroupId] : []), ...row.sharedWith];
}
