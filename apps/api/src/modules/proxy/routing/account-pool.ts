// The proxy's in-memory view of every account: state, quota and a decrypted access token,
// indexed by owner. The hot path reads only this. It is loaded at start and reloaded per account
// on 'account.changed' (off the request path). The proxy reports what it observes through one
// entry point, `report(accountId, event)`: the state changes here at once, by the accounts
// module's own rules (account-state.ts), and is persisted in the background by the accounts
// module (AccountStateService); quota windows are persisted debounced. Nothing here awaits the
// database on a request's behalf, and a failed write is logged, never thrown.
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { TokenVault } from '../../../common/crypto/token-vault';
import { DomainEvents } from '../../../common/events';
import {
  BACKOFF_MS,
  persistedChange,
  transition,
  usability,
  type AccountEvent,
  type AccountState,
  type Usability,
} from '../../accounts/account-state';
import { AccountStateService } from '../../accounts/account-state.service';
import { AccountsRepository, type AccountRow } from '../../accounts/accounts.repository';
import { AccountsService } from '../../accounts/accounts.service';
import type { QuotaSnapshot } from '../../accounts/quota';
import { GroupIndex } from '../../groups/group-index';
import { effectivePool, explainPool, type Explained, type PoolKey } from './effective-pool';

/** One account as the proxy sees it; the AccountState fields change only through `report`. */
export interface PooledAccount extends AccountState {
  id: string;
  /** The owning user; null for an account a group owns (the GroupIndex knows which). */
  ownerUserId: string | null;
  chatgptAccountId: string;
  email: string | null;
  primaryUsed: number | null;
  secondaryUsed: number | null;
  primaryResetsAt: number | null;
  secondaryResetsAt: number | null;
  accessToken: string;
  tokenExpiresAt: number | null;
  /** performance.now() of the last quota observation, or 0 (kept in memory only). */
  quotaObservedAt: number;
}

const QUOTA_PERSIST_MS = 10_000;
/** Quota headers and events are read at most this often per account: each one repeats the last. */
const QUOTA_OBSERVE_MS = 1_000;

@Injectable()
export class AccountPool implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AccountPool');
  private readonly accounts = new Map<string, PooledAccount>();
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly pendingQuota = new Map<string, QuotaSnapshot>();
  private readonly reloads = new Map<string, Promise<void>>();
  private quotaTimer?: NodeJS.Timeout;
  private ready: Promise<void> | null = null;

  constructor(
    private readonly repository: AccountsRepository,
    private readonly service: AccountsService,
    private readonly states: AccountStateService,
    private readonly vault: TokenVault,
    events: DomainEvents,
    private readonly groups: GroupIndex,
  ) {
    events.on('account.changed', ({ accountId, deleted }) => {
      if (deleted) this.remove(accountId);
      else void this.reload(accountId);
    });
    // Invalidations from other replicas may have been missed: every account is read again.
    events.on('caches.resync', () => void this.reloadAll());
  }

  private async reloadAll(): Promise<void> {
    try {
      const rows = await this.repository.listAllUnscoped();
      const present = new Set(rows.map((row) => row.id));
      for (const id of [...this.accounts.keys()]) if (!present.has(id)) this.remove(id);
      for (const row of rows) this.put(row);
    } catch (error) {
      this.logger.warn(`Reloading every account failed: ${(error as Error).message}`);
    }
  }

  onApplicationBootstrap(): Promise<void> {
    this.quotaTimer = setInterval(() => void this.persistQuota(), QUOTA_PERSIST_MS);
    this.quotaTimer.unref();
    return this.load();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.quotaTimer) clearInterval(this.quotaTimer);
    await this.persistQuota();
  }

  load(): Promise<void> {
    this.ready ??= this.repository.listAllUnscoped().then((rows) => {
      for (const row of rows) this.put(row);
      this.logger.log(`Loaded ${rows.length} account(s)`);
    });
    return this.ready;
  }

  /** Accounts of one owner, in a stable order. */
  forOwner(ownerUserId: string): PooledAccount[] {
    const ids = this.byOwner.get(ownerUserId);
    if (!ids) return [];
    const out: PooledAccount[] = [];
    for (const id of ids) {
      const account = this.accounts.get(id);
      if (account) out.push(account);
    }
    return out;
  }

  get(id: string): PooledAccount | undefined {
    return this.accounts.get(id);
  }

  /** Every account in memory (read by the metrics on a scrape, never on the request path). */
  all(): IterableIterator<PooledAccount> {
    return this.accounts.values();
  }

  /** The router's candidates for a key: its effective pool (see effective-pool.ts), from memory. */
  effectivePool(key: PoolKey): PooledAccount[] {
    return effectivePool(key, this, this.groups);
  }

  /** The same rule, account by account with reasons, for GET /api/api-keys/:id/effective-accounts. */
  explain(key: PoolKey, now = Date.now()): Explained[] {
    return explainPool(key, this, this.groups, now);
  }

  /** Reloads one account from the database (after a change made anywhere). */
  reload(id: string): Promise<void> {
    const pending = this.reloads.get(id);
    if (pending) return pending.then(() => this.reload(id));
    const work = this.repository
      .findByIdUnscoped(id)
      .then((row) => (row ? this.put(row) : this.remove(id)))
      .catch((error) => this.logger.warn(`Reloading account ${id} failed: ${(error as Error).message}`))
      .finally(() => this.reloads.delete(id));
    this.reloads.set(id, work);
    return work;
  }

  /**
   * What the proxy observed about an account: the one way its state changes here. Applied in
   * memory at once; a change to the persisted state (status, reason, cooldown) is written in the
   * background, except quota windows, which persistQuota writes debounced with their numbers.
   */
  report(id: string, event: AccountEvent, now = Date.now()): void {
    const account = this.accounts.get(id);
    if (!account) return;
    const next = transition(account, event, now);
    if (next === account) return;
    const persist = persistedChange(account, next) && event.type !== 'quota';
    account.status = next.status;
    account.statusReason = next.statusReason;
    account.cooldownUntil = next.cooldownUntil;
    account.backoffUntil = next.backoffUntil;
    if (persist) this.states.report(id, event);
  }

  /** Whether an account can serve now, and if not why (unknown accounts: null). */
  usability(id: string, now = Date.now()): Usability | null {
    const account = this.accounts.get(id);
    return account ? usability(account, now) : null;
  }

  /** A 429 from upstream: no request goes to the account until `until`. */
  coolDown(id: string, until: number, reason: string): void {
    this.report(id, { type: 'rate_limited', until, message: reason });
  }

  /** A brief backoff after a 5xx or a network error; kept in memory only. */
  backOff(id: string, ms = BACKOFF_MS): void {
    this.report(id, { type: 'server_error', backoffMs: ms });
  }

  /** Whether a response of this account should be read for quota (not read within the last second). */
  wantsQuota(account: PooledAccount): boolean {
    return performance.now() - account.quotaObservedAt >= QUOTA_OBSERVE_MS || account.quotaObservedAt === 0;
  }

  /** Quota windows seen in response headers or a codex.rate_limits event. */
  observeQuota(id: string, snapshot: QuotaSnapshot): void {
    const account = this.accounts.get(id);
    if (!account) return;
    account.quotaObservedAt = performance.now();
    if (snapshot.primary) {
      account.primaryUsed = snapshot.primary.usedPercent;
      account.primaryResetsAt = snapshot.primary.resetsAt?.getTime() ?? account.primaryResetsAt;
    }
    if (snapshot.secondary) {
      account.secondaryUsed = snapshot.secondary.usedPercent;
      account.secondaryResetsAt = snapshot.secondary.resetsAt?.getTime() ?? account.secondaryResetsAt;
    }
    this.pendingQuota.set(id, snapshot);
    this.report(id, quotaEvent(account));
  }

  setAccessToken(id: string, token: string, expiresAt: Date | null): void {
    const account = this.accounts.get(id);
    if (!account) return;
    account.accessToken = token;
    account.tokenExpiresAt = expiresAt?.getTime() ?? null;
  }

  async persistQuota(): Promise<void> {
    const batch = [...this.pendingQuota];
    this.pendingQuota.clear();
    for (const [id, snapshot] of batch) {
      await this.service
        .recordQuota(id, snapshot, 'headers')
        .catch((error) => this.logger.warn(`Persisting quota for ${id} failed: ${(error as Error).message}`));
    }
  }

  private put(row: AccountRow): void {
    const previous = this.accounts.get(row.id);
    if (previous?.ownerUserId && previous.ownerUserId !== row.ownerUserId) {
      this.byOwner.get(previous.ownerUserId)?.delete(row.id);
    }
    let accessToken = '';
    try {
      accessToken = this.vault.decrypt(row.accessTokenEnc);
    } catch {
      this.logger.error(`Account ${row.id} has tokens this key cannot decrypt`);
    }
    const cooldown = row.cooldownUntil?.getTime() ?? 0;
    const unsaved = this.pendingQuota.has(row.id);
    const next: PooledAccount = {
      id: row.id,
      ownerUserId: row.ownerUserId,
      chatgptAccountId: row.chatgptAccountId,
      email: row.email,
      status: row.status,
      statusReason: row.statusReason,
      cooldownUntil: cooldown,
      backoffUntil: previous?.backoffUntil ?? 0,
      // Observations not yet persisted are newer than the row.
      primaryUsed: unsaved && previous ? previous.primaryUsed : row.primaryUsedPercent,
      secondaryUsed: unsaved && previous ? previous.secondaryUsed : row.secondaryUsedPercent,
      primaryResetsAt: row.primaryResetsAt?.getTime() ?? null,
      secondaryResetsAt: row.secondaryResetsAt?.getTime() ?? null,
      accessToken,
      tokenExpiresAt: row.tokenExpiresAt?.getTime() ?? null,
      quotaObservedAt: previous?.quotaObservedAt ?? 0,
    };
    // Windows observed but not yet persisted have not yet judged the stored status either.
    if (unsaved) Object.assign(next, transition(next, quotaEvent(next), Date.now()));
    // Update in place: requests in flight hold a reference to this object.
    if (previous) Object.assign(previous, next);
    else this.accounts.set(row.id, next);
    if (row.ownerUserId === null) return;
    let owned = this.byOwner.get(row.ownerUserId);
    if (!owned) this.byOwner.set(row.ownerUserId, (owned = new Set()));
    owned.add(row.id);
  }

  private remove(id: string): void {
    const account = this.accounts.get(id);
    if (!account) return;
    this.accounts.delete(id);
    if (account.ownerUserId) this.byOwner.get(account.ownerUserId)?.delete(id);
  }
}

function quotaEvent(account: PooledAccount): AccountEvent {
  return {
    type: 'quota',
    primaryUsedPercent: account.primaryUsed,
    secondaryUsedPercent: account.secondaryUsed,
    primaryResetsAt: account.primaryResetsAt,
    secondaryResetsAt: account.secondaryResetsAt,
  };
}
