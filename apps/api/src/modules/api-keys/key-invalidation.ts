// Who hears that cached keys went stale. Today one process: publishing applies the change to the
// local cache at once, synchronously, so the very next request sees it. With several replicas a
// Redis implementation of this class also broadcasts each message on a pub/sub channel and applies
// what the others send; nothing else changes.
import { Injectable } from '@nestjs/common';

/** Drop every cached key matching any of these fields. */
export interface KeyInvalidation {
  keyId?: string;
  ownerId?: string;
  accountId?: string;
  /** Every key whose owner holds this role (its permissions changed). */
  ownerRole?: string;
  /** A digest just created (create, regenerate): forget it was ever an unknown key. */
  digest?: string;
}

export type KeyInvalidationListener = (message: KeyInvalidation) => void;

export abstract class KeyInvalidationBus {
  abstract publish(message: KeyInvalidation): void;
  abstract subscribe(listener: KeyInvalidationListener): void;
}

@Injectable()
export class LocalKeyInvalidationBus extends KeyInvalidationBus {
  private readonly listeners: KeyInvalidationListener[] = [];

  publish(message: KeyInvalidation): void {
    for (const listener of this.listeners) listener(message);
  }

  subscribe(listener: KeyInvalidationListener): void {
    this.listeners.push(listener);
  }
}
