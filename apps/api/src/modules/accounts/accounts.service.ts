// The rules for upstream accounts: who sees and changes which (owner scope), how a seat is
// registered exactly once in the whole system, and which events change an account's state (the
// rules themselves are in account-state.ts).
import { Injectable } from '@nestjs/common';
import type { AccountDto } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { TokenVault } from '../../common/crypto/token-vault';
import { DomainEvents } from '../../common/events';
import { ownerForCreate, ownerScopeFor } from '../../common/owner-scope';
import type { Principal } from '../../common/principal';
import { toAccountDto } from './accounts.mapper';
import { AccountsRepository } from './accounts.repository';
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
  ) {}

  async list(principal: Principal, ownerId?: string): Promise<AccountDto[]> {
    return (await this.accounts.list(ownerScopeFor(principal, ownerId))).map(toAccountDto);
  }

  async get(principal: Principal, id: string): Promise<AccountDto> {
    return toAccountDto(await this.require(principal, id));
  }

  async rename(principal: Principal, id: string, alias: string | null): Promise<AccountDto> {
    const cleaned = alias?.trim() ? alias.trim() : null;
    if (!(await this.accounts.setAlias(ownerScopeFor(principal), id, cleaned))) throw ApiError.notFound('Account');
    return this.get(principal, id);
  }

  async pause(principal: Principal, id: string): Promise<AccountDto> {
    const row = await this.states.applyScoped(ownerScopeFor(principal), id, {
      type: 'paused',
      message: `Paused by ${principal.username}`,
    });
    if (!row) throw ApiError.notFound('Account');
    return this.changed(principal, id);
  }

  /** Resumes a paused account, ends a cooldown early, or reactivates a deactivated one. */
  async resume(principal: Principal, id: string): Promise<AccountDto> {
    const blocker = resumeBlocker(stateOfRow(await this.require(principal, id)));
    if (blocker) throw ApiError.conflict('conflict', blocker);
    if (!(await this.states.applyScoped(ownerScopeFor(principal), id, { type: 'resumed' }))) {
      throw ApiError.notFound('Account');
    }
    return this.changed(principal, id);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const current = await this.require(principal, id);
    if (!(await this.accounts.delete(ownerScopeFor(principal), id))) throw ApiError.notFound('Account');
    this.events.emit('account.changed', { accountId: id, ownerId: current.ownerUserId, deleted: true });
  }

  async reassign(principal: Principal, id: string, ownerId: string): Promise<AccountDto> {
    const current = await this.require(principal, id);
    if (!(await this.accounts.userExists(ownerId)))
      throw ApiError.badRequest('The new owner does not exist.', 'validation_failed');
    await this.accounts.reassignOwner(id, ownerId);
    // Both the old owner's and the new owner's caches (keys, pools) must forget the account.
    this.events.emit('account.changed', { accountId: id, ownerId: current.ownerUserId });
    this.events.emit('account.changed', { accountId: id, ownerId });
    return this.get(principal, id);
  }

  /** Polls wham/usage now for one account the caller may see. */
  async refreshUsage(principal: Principal, id: string): Promise<AccountDto> {
    await this.require(principal, id);
    try {
      await this.pollQuota(id);
    } catch (error) {
      if (error instanceof AccountUnavailableError || error instanceof UpstreamAuthError) {
        throw new ApiError(502, 'upstream_error', `Could not read this account's usage: ${error.message}`);
      }
      throw error;
    }
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
    const id = await this.accounts.insert({
      ownerUserId: ownerId,
      chatgptAccountId: claims.chatgptAccountId,
      chatgptUserId: claims.chatgptUserId,
      email: claims.email,
      planType: claims.planType,
      ...encrypted,
    });
    if (id) {
      this.events.emit('account.changed', { accountId: id, ownerId });
      const row = (await this.accounts.findByIdUnscoped(id))!;
      return { account: toAccountDto(row), created: true };
    }
    const existing = await this.accounts.findSeat(claims.chatgptAccountId, claims.chatgptUserId);
    if (!existing || existing.ownerUserId !== ownerId) {
      throw ApiError.conflict(
        'account_already_registered',
        'This ChatGPT account is already registered in codex-lb. Each seat can be added only once.',
      );
    }
    await this.accounts.replaceTokens(existing.id, encrypted, claims.planType, claims.email);
    await this.states.applyUnscoped(existing.id, { type: 'reauthenticated' });
    this.events.emit('account.changed', { accountId: existing.id, ownerId });
    return { account: toAccountDto((await this.accounts.findByIdUnscoped(existing.id))!), created: false };
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
      this.events.emit('account.changed', { accountId: id, ownerId: row.ownerUserId });
    }
  }

  private async require(principal: Principal, id: string) {
    const row = await this.accounts.find(ownerScopeFor(principal), id);
    if (!row) throw ApiError.notFound('Account');
    return row;
  }

  private async changed(principal: Principal, id: string): Promise<AccountDto> {
    const row = await this.require(principal, id);
    this.events.emit('account.changed', { accountId: id, ownerId: row.ownerUserId });
    return toAccountDto(row);
  }
}
