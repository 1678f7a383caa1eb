// In-process domain events, so caches (API keys, account state) can drop what a change made
// stale without the changing module knowing who caches what.
import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

export interface DomainEventMap {
  /** A user's role, status or password changed, or the user was deleted. */
  'user.changed': { userId: string; deleted?: boolean };
  /** A role's permissions changed (its holders' sessions read them per request; keys are cached). */
  'role.changed': { roleId: string; slug: string };
  /** An account was added, deleted, reassigned, or its status or tokens changed. */
  'account.changed': { accountId: string; ownerId: string; deleted?: boolean };
}

@Injectable()
export class DomainEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<K extends keyof DomainEventMap>(event: K, payload: DomainEventMap[K]): void {
    this.emitter.emit(event, payload);
  }

  on<K extends keyof DomainEventMap>(event: K, listener: (payload: DomainEventMap[K]) => void): void {
    this.emitter.on(event, listener);
  }
}
