// Fair sharing: how many proxied requests one owner and one API key may have in flight at once.
// A request over either cap waits in its owner's queue, first come first served, until a slot of
// its own frees up or the queue deadline passes (then 429 concurrency_limit_exceeded with
// Retry-After). Slots and queues are per owner, so one tenant at its cap never delays another
// tenant's request; the upstream pool is sized above the per-owner cap for the same reason.
import { ApiError } from '../../../common/api-error';
import type { Exchange } from '../exchange';

/** Gives the slot back; safe to call more than once. */
export type Release = () => void;

interface Waiter {
  keyId: string;
  resolve: (release: Release) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  exchange: Exchange;
}

interface OwnerState {
  inFlight: number;
  perKey: Map<string, number>;
  queue: Waiter[];
}

export interface GateLimits {
  perOwner: number;
  perKey: number;
  queueTimeoutMs: number;
}

/**
 * The same caps across every replica (Redis, see shared-slots.ts): asked after this replica's own
 * gate admitted the request, so queueing stays local and fair. Resolves with the release of the
 * shared slot, or rejects with the 429 once `deadline` (epoch ms) passes.
 */
export interface SharedSlots {
  acquire(ownerId: string, keyId: string, exchange: Exchange, deadline: number): Promise<Release>;
}

/** Queued requests per owner beyond its cap before new ones are refused at once. */
const QUEUE_FACTOR = 4;

export class ConcurrencyGate {
  private readonly owners = new Map<string, OwnerState>();
  /** Set when several replicas share the caps; null in one process. */
  shared: SharedSlots | null = null;

  constructor(private readonly limits: GateLimits) {}

  /** A slot for one request of `keyId` owned by `ownerId`; waits in the owner's queue if needed. */
  acquire(ownerId: string, keyId: string, exchange: Exchange): Release | Promise<Release> {
    const local = this.acquireLocal(ownerId, keyId, exchange);
    return this.shared ? this.acquireShared(this.shared, local, ownerId, keyId, exchange) : local;
  }

  private async acquireShared(
    shared: SharedSlots,
    local: Release | Promise<Release>,
    ownerId: string,
    keyId: string,
    exchange: Exchange,
  ): Promise<Release> {
    const started = Date.now();
    const release = await local;
    try {
      const releaseShared = await shared.acquire(ownerId, keyId, exchange, started + this.limits.queueTimeoutMs);
      return () => {
        release();
        releaseShared();
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  private acquireLocal(ownerId: string, keyId: string, exchange: Exchange): Release | Promise<Release> {
    let owner = this.owners.get(ownerId);
    if (!owner) this.owners.set(ownerId, (owner = { inFlight: 0, perKey: new Map(), queue: [] }));
    // Waiters are woken whenever a slot frees up, so those still queued are all held by a full
    // key or the owner cap: a request with room passes them without taking a slot they could use.
    if (this.hasRoom(owner, keyId)) return this.take(ownerId, owner, keyId);
    if (this.limits.queueTimeoutMs === 0 || owner.queue.length >= this.limits.perOwner * QUEUE_FACTOR) {
      throw busy(this.limits.queueTimeoutMs);
    }
    const state = owner;
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        keyId,
        resolve,
        reject,
        exchange,
        timer: setTimeout(() => {
          this.dropWaiter(ownerId, state, waiter);
          reject(busy(this.limits.queueTimeoutMs));
        }, this.limits.queueTimeoutMs),
      };
      state.queue.push(waiter);
      exchange.waiting = () => {
        clearTimeout(waiter.timer);
        this.dropWaiter(ownerId, state, waiter);
        reject(new ApiError(499, 'client_closed', 'The client closed the request.'));
      };
    });
  }

  /** Requests in flight for an owner (for specs and health). */
  inFlight(ownerId: string): number {
    return this.owners.get(ownerId)?.inFlight ?? 0;
  }

  private hasRoom(owner: OwnerState, keyId: string): boolean {
    return owner.inFlight < this.limits.perOwner && (owner.perKey.get(keyId) ?? 0) < this.limits.perKey;
  }

  private take(ownerId: string, owner: OwnerState, keyId: string): Release {
    owner.inFlight += 1;
    owner.perKey.set(keyId, (owner.perKey.get(keyId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      owner.inFlight -= 1;
      const left = (owner.perKey.get(keyId) ?? 1) - 1;
      if (left === 0) owner.perKey.delete(keyId);
      else owner.perKey.set(keyId, left);
      this.wake(ownerId, owner);
    };
  }

  /** Hands freed slots to the oldest waiters that fit (a waiter of a full key lets others pass). */
  private wake(ownerId: string, owner: OwnerState): void {
    for (let i = 0; i < owner.queue.length && owner.inFlight < this.limits.perOwner;) {
      const waiter = owner.queue[i];
      if (!this.hasRoom(owner, waiter.keyId)) {
        i++;
        continue;
      }
      owner.queue.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.exchange.waiting = null;
      waiter.resolve(this.take(ownerId, owner, waiter.keyId));
    }
    this.forget(ownerId, owner);
  }

  private dropWaiter(ownerId: string, owner: OwnerState, waiter: Waiter): void {
    const index = owner.queue.indexOf(waiter);
    if (index !== -1) owner.queue.splice(index, 1);
    waiter.exchange.waiting = null;
    this.forget(ownerId, owner);
  }

  /** An idle owner leaves no entry behind (the map holds only owners with work). */
  private forget(ownerId: string, owner: OwnerState): void {
    if (owner.inFlight === 0 && owner.queue.length === 0) this.owners.delete(ownerId);
  }
}

export function busy(queueTimeoutMs: number): ApiError {
  const retryAfter = Math.max(1, Math.ceil(queueTimeoutMs / 1000));
  return new ApiError(
    429,
    'concurrency_limit_exceeded',
    'Too many requests of this API key or its owner are in flight at once. Retry when one has finished.',
    { 'retry-after': String(retryAfter) },
  );
}
