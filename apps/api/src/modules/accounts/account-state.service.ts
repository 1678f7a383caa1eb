// Persists account state changes: read the row, apply the one transition function, write back
// compare-and-set on the status and cooldown that were read (so a pause made meanwhile, here or
// in another process, is never overwritten), and tell the caches. Every status write of the
// accounts module and every outcome the proxy reports goes through here.
import { ownerIdOf } from './accounts.mapper';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainEvents } from '../../common/events';
import type { OwnerScope } from '../../common/owner-scope';
import { persistedChange, stateOfRow, transition, type AccountEvent, type AccountState } from './account-state';
import { AccountsRepository, type AccountRow } from './accounts.repository';

/** Attempts before giving up on a row that keeps changing underneath (never seen in practice). */
const ATTEMPTS = 4;

@Injectable()
export class AccountStateService {
  private readonly logger = new Logger('AccountState');

  constructor(
    private readonly accounts: AccountsRepository,
    private readonly events: DomainEvents,
  ) {}

  /**
   * Applies `event` to a stored account (background work and the proxy; never a request's own
   * input). Returns the row as it stands afterwards, or null when the account does not exist.
   */
  applyUnscoped(
    id: string,
    event: AccountEvent,
    now = Date.now(),
    manager?: EntityManager,
  ): Promise<AccountRow | null> {
    return this.apply(null, id, event, now, manager);
  }

  /**
   * Applies an owner's action (pause, resume) within their scope: null means not found. Inside the
   * caller's transaction (`manager`), the caller announces the change after its commit.
   */
  applyScoped(
    scope: OwnerScope,
    id: string,
    event: AccountEvent,
    now = Date.now(),
    manager?: EntityManager,
  ): Promise<AccountRow | null> {
    return this.apply(scope, id, event, now, manager);
  }

  /** For the proxy: fire and forget, failures logged and never thrown. */
  report(id: string, event: AccountEvent): void {
    this.applyUnscoped(id, event).catch((error) =>
      this.logger.warn(`Persisting '${event.type}' for account ${id} failed: ${(error as Error).message}`),
    );
  }

  private async apply(
    scope: OwnerScope | null,
    id: string,
    event: AccountEvent,
    now: number,
    manager?: EntityManager,
  ): Promise<AccountRow | null> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const row = scope
        ? await this.accounts.find(scope, id, 'read', manager)
        : await this.accounts.findByIdUnscoped(id, manager);
      if (!row) return null;
      const before = stateOfRow(row);
      const after = transition(before, event, now);
      if (!persistedChange(before, after)) return row;
      if (await this.accounts.compareAndSetStatus(scope, id, row, toChange(after), manager)) {
        if (!manager) this.events.emit('account.changed', { accountId: id, ownerId: ownerIdOf(row) });
        return { ...row, ...toChange(after) } as AccountRow;
      }
    }
    this.logger.warn(`Account ${id} kept changing; '${event.type}' was not applied`);
    return scope ? this.accounts.find(scope, id, 'read', manager) : this.accounts.findByIdUnscoped(id, manager);
  }
}

function toChange(state: AccountState) {
  return {
    status: state.status,
    statusReason: state.statusReason,
    cooldownUntil: state.cooldownUntil ? new Date(state.cooldownUntil) : null,
  };
}
