// Hands out a valid access token per account, refreshing when it is about to expire or after an
// upstream 401. Refresh tokens rotate and reusing one revokes the whole family, so:
// - one refresh per account at a time: in-process single flight plus a database lease that keeps
//   two processes from refreshing the same account;
// - the new pair is stored compare-and-set on the refresh token that was sent;
// - a refresh token that was sent once is never sent again. A definite upstream answer (an error
//   status) leaves the token unused and may be retried later; a send whose outcome is unknown
//   (timeout, reset connection) burns it, and the account then needs a new sign-in.
import { ownerIdOf } from './accounts.mapper';
import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { TokenVault } from '../../common/crypto/token-vault';
import { DomainEvents } from '../../common/events';
import { AccountStateService } from './account-state.service';
import { AccountsRepository } from './accounts.repository';
import { accessTokenExpiry } from './id-token';
import { UpstreamAuthClient, UpstreamAuthError } from './upstream-auth.client';

const REFRESH_MARGIN_MS = 5 * 60_000;
const LEASE_MS = 30_000;
const WAIT_STEP_MS = 100;

export interface AccountAccess {
  accessToken: string;
  chatgptAccountId: string;
  expiresAt: Date | null;
}

export class AccountUnavailableError extends Error {
  constructor(
    readonly accountId: string,
    readonly reason: 'reauth_required' | 'deactivated' | 'transient' | 'missing',
    message: string,
  ) {
    super(message);
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

@Injectable()
export class AccountTokensService {
  private readonly logger = new Logger('AccountTokens');
  private readonly holder = `pid-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly inflight = new Map<string, Promise<AccountAccess>>();
  private readonly sentRefreshTokens = new Set<string>();

  constructor(
    private readonly accounts: AccountsRepository,
    private readonly states: AccountStateService,
    private readonly upstream: UpstreamAuthClient,
    private readonly vault: TokenVault,
    private readonly events: DomainEvents,
  ) {}

  /** A usable token, refreshed first when it expires within five minutes. */
  async getAccess(accountId: string): Promise<AccountAccess> {
    const row = await this.accounts.findByIdUnscoped(accountId);
    if (!row) throw new AccountUnavailableError(accountId, 'missing', 'Account not found.');
    if (row.tokenExpiresAt && row.tokenExpiresAt.getTime() - Date.now() < REFRESH_MARGIN_MS) {
      return this.refresh(accountId, row.refreshTokenEnc);
    }
    return {
      accessToken: this.vault.decrypt(row.accessTokenEnc),
      chatgptAccountId: row.chatgptAccountId,
      expiresAt: row.tokenExpiresAt,
    };
  }

  /**
   * Refreshes once for every concurrent caller (after an upstream 401, or near expiry). `seen`: the
   * refresh token (encrypted) the caller read when it found the access token expiring; when the
   * account holds another one by now, a refresh already happened and its tokens are returned (a
   * caller whose read came back after a refresh finished does not refresh a second time).
   */
  refresh(accountId: string, seen?: string): Promise<AccountAccess> {
    let pending = this.inflight.get(accountId);
    if (!pending) {
      pending = this.refreshExclusive(accountId, seen).finally(() => this.inflight.delete(accountId));
      this.inflight.set(accountId, pending);
    }
    return pending;
  }

  private async refreshExclusive(accountId: string, seen?: string): Promise<AccountAccess> {
    const before = await this.accounts.findByIdUnscoped(accountId);
    if (!before) throw new AccountUnavailableError(accountId, 'missing', 'Account not found.');
    const claim = await this.waitForLease(accountId, seen ?? before.refreshTokenEnc);
    if (claim === 'refreshed-elsewhere') return this.getAccessWithoutRefresh(accountId);

    const refreshToken = this.vault.decrypt(claim.refreshTokenEnc);
    const sentDigest = digest(refreshToken);
    try {
      if (this.sentRefreshTokens.has(sentDigest)) {
        await this.states.applyUnscoped(accountId, {
          type: 'refresh_refused',
          message: 'A previous token refresh did not complete. Sign in again.',
        });
        throw new AccountUnavailableError(accountId, 'reauth_required', 'The account needs a new sign-in.');
      }
      this.sentRefreshTokens.add(sentDigest);
      let tokens;
      try {
        tokens = await this.upstream.refresh(refreshToken);
      } catch (error) {
        if (error instanceof UpstreamAuthError) {
          if (!error.tokenConsumed) this.sentRefreshTokens.delete(sentDigest);
          await this.onRefreshFailure(accountId, error);
        }
        throw error instanceof UpstreamAuthError
          ? new AccountUnavailableError(
              accountId,
              error.kind === 'transient'
                ? 'transient'
                : error.kind === 'deactivated'
                  ? 'deactivated'
                  : 'reauth_required',
              error.message,
            )
          : error;
      }
      const expiresAt = accessTokenExpiry(tokens.accessToken);
      const stored = await this.accounts.storeRefreshedTokens(accountId, claim.refreshTokenEnc, {
        accessTokenEnc: this.vault.encrypt(tokens.accessToken),
        refreshTokenEnc: this.vault.encrypt(tokens.refreshToken),
        idTokenEnc: this.vault.encrypt(tokens.idToken),
        tokenExpiresAt: expiresAt,
      });
      if (!stored) this.logger.warn(`Account ${accountId} changed during a refresh; kept the newer tokens`);
      else await this.states.applyUnscoped(accountId, { type: 'refreshed' });
      this.events.emit('account.changed', { accountId, ownerId: ownerIdOf(before) });
      return stored
        ? { accessToken: tokens.accessToken, chatgptAccountId: before.chatgptAccountId, expiresAt }
        : this.getAccessWithoutRefresh(accountId);
    } finally {
      await this.accounts.releaseRefreshLease(accountId, this.holder);
    }
  }

  /** Claims the lease, or waits for another process's refresh to finish and reports that. */
  private async waitForLease(
    accountId: string,
    refreshTokenEncBefore: string,
  ): Promise<{ refreshTokenEnc: string } | 'refreshed-elsewhere'> {
    const deadline = Date.now() + LEASE_MS + 5_000;
    for (;;) {
      const claim = await this.accounts.claimRefreshLease(accountId, this.holder, LEASE_MS);
      if (claim) {
        if (claim.refreshTokenEnc !== refreshTokenEncBefore) {
          // Someone refreshed between our read and the claim: their tokens are current.
          await this.accounts.releaseRefreshLease(accountId, this.holder);
          return 'refreshed-elsewhere';
        }
        return claim;
      }
      if (Date.now() > deadline) {
        throw new AccountUnavailableError(accountId, 'transient', 'Another instance is refreshing this account.');
      }
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    }
  }

  private async getAccessWithoutRefresh(accountId: string): Promise<AccountAccess> {
    const row = await this.accounts.findByIdUnscoped(accountId);
    if (!row) throw new AccountUnavailableError(accountId, 'missing', 'Account not found.');
    return {
      accessToken: this.vault.decrypt(row.accessTokenEnc),
      chatgptAccountId: row.chatgptAccountId,
      expiresAt: row.tokenExpiresAt,
    };
  }

  private async onRefreshFailure(accountId: string, error: UpstreamAuthError): Promise<void> {
    if (error.kind === 'permanent') {
      await this.states.applyUnscoped(accountId, {
        type: 'refresh_refused',
        message: `Sign in again: the refresh token was refused (${error.code}).`,
      });
    } else if (error.kind === 'deactivated') {
      await this.states.applyUnscoped(accountId, {
        type: 'account_refused',
        message: `the auth server says it is deactivated or deleted (${error.code}).`,
      });
    } else {
      this.logger.warn(`Token refresh for account ${accountId} failed transiently (${error.code}); will retry later`);
    }
  }
}
