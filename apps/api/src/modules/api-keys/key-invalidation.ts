// Who hears that cached keys went stale. One process: publishing applies the change to the
// local cache at once, synchronously, so the very next request sees it. With several replicas
// (CODEX_LB_REDIS_URL) the replicated bus does the same and also sends each message to the other
// replicas through the replica bus, and applies what they send.
import { Injectable } from '@nestjs/common';
import type { ReplicaBus } from '../redis/replica-bus';

/** Drop every cached key matching any of these fields. */
export interface KeyInvalidation {
  keyId?: string;
  ownerId?: string;
  accountId?: string;
  /** Every key whose owner holds this role (its permissions changed). */
  ownerRole?: string;
  /** A digest just created (create, regenerate): forget it was ever an unknown key. */
  digest?: string;
  /** Everything (missed invalidations): listeners drop every entry. */
  all?: boolean;
}

export type KeyInvalidationListener = (message: KeyInvalidation) => void;

/** Whether a message concerns a key in use (its id, its owner, its owner's role, or everything). */
export function concernsKey(
  message: KeyInvalidation,
  key: { id: string; ownerUserId: string; ownerRole: string },
): boolean {
  return (
    message.all === true ||
    (message.keyId !== undefined && message.keyId === key.id) ||
    (message.ownerId !== undefined && message.ownerId === key.ownerUserId) ||
    (message.ownerRole !== undefined && message.ownerRole === key.ownerRole)
  );
}

/**
 * Checks every item; those whose check could not tell (null: the database did not answer) are
 * checked once more, together, after `retryMs`. Verdicts in the items' order; null where the
 * second try could not tell either.
 */
export async function checkWithOneRetry<T, V>(
  items: readonly T[],
  check: (item: T) => Promise<V | null>,
  retryMs: number,
): Promise<(V | null)[]> {
  const verdicts: (V | null)[] = [];
  for (const item of items) verdicts.push(await check(item));
  if (!verdicts.includes(null)) return verdicts;
  await new Promise((resolve) => setTimeout(resolve, retryMs));
  for (let i = 0; i < items.length; i++) if (verdicts[i] === null) verdicts[i] = await check(items[i]);
  return verdicts;
}

export abstract class KeyInvalidationBus {
  abstract publish(message: KeyInvalidation): void;
  abstract subscribe(listener: KeyInvalidationListener): void;
  /** Whether a revocation made anywhere is known here now; false means: do not trust caches. */
  get trusted(): boolean {
    return true;
  }
}

@Injectable()
export class LocalKeyInvalidationBus extends KeyInvalidationBus {
  protected readonly listeners: KeyInvalidationListener[] = [];

  publish(message: KeyInvalidation): void {
    for (const listener of this.listeners) listener(message);
  }

  subscribe(listener: KeyInvalidationListener): void {
    this.listeners.push(listener);
  }
}

export class ReplicatedKeyInvalidationBus extends LocalKeyInvalidationBus {
  constructor(private readonly replicas: ReplicaBus) {
    super();
    replicas.on('key', (message) => super.publish(message as KeyInvalidation));
  }

  override get trusted(): boolean {
    return this.replicas.trusted;
  }

  override publish(message: KeyInvalidation): void {
    super.publish(message);
    this.replicas.publish('key', message);
  }
}
