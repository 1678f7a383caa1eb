// In-process domain events, so caches (API keys, account state) can drop what a change made
// stale without the changing module knowing who caches what. With several replicas
// (CODEX_LB_REDIS_URL) the replica bus relays every emitted event to the other replicas, which
// hand it to their own listeners through emitLocal; one process has no relay and nothing changes.
import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

export interface DomainEventMap {
  /** A user's role, status or password changed, or the user was deleted. */
  'user.changed': { userId: string; deleted?: boolean };
  /** A role's permissions changed (its holders' sessions read them per request; keys are cached). */
  'role.changed': { roleId: string; slug: string };
  /** An account was added, deleted, reassigned, or its status or tokens changed. */
  'account.changed': { accountId: string; ownerId: string; deleted?: boolean };
  /** Another replica reloaded these groups' members, owned accounts and shares (broadcast only). */
  'group.changed': { groupIds: string[] };
  /**
   * Local only: invalidations may have been missed (the replica bus reconnected, or its epoch
   * jumped past messages it never saw); every cache of a decision drops or reloads everything.
   */
  'caches.resync': Record<string, never>;
}

export type DomainEventRelay = <K extends keyof DomainEventMap>(event: K, payload: DomainEventMap[K]) => void;

@Injectable()
export class DomainEvents {
  private readonly emitter = new EventEmitter();
  private relay: DomainEventRelay | null = null;

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<K extends keyof DomainEventMap>(event: K, payload: DomainEventMap[K]): void {
    this.emitter.emit(event, payload);
    this.relay?.(event, payload);
  }

  /** Tells the other replicas only (this one already applied the change itself). */
  broadcast<K extends keyof DomainEventMap>(event: K, payload: DomainEventMap[K]): void {
    this.relay?.(event, payload);
  }

  /** Hands an event to this process's listeners only (one another replica relayed). */
  emitLocal<K extends keyof DomainEventMap>(event: K, payload: DomainEventMap[K]): void {
    this.emitter.emit(event, payload);
  }

  on<K extends keyof DomainEventMap>(event: K, listener: (payload: DomainEventMap[K]) => void): void {
    this.emitter.on(event, listener);
  }

  /** Set by the replica bus when Redis is configured. */
  relayTo(relay: DomainEventRelay | null): void {
    this.relay = relay;
  }
}
