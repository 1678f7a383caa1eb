// Where limit counters live. One instance keeps them in memory, where JavaScript's single thread
// makes each check-and-reserve atomic; several replicas need the same operations in Redis (each
// method maps onto one Lua script over a hash per counter), so callers see only this interface.
//
// A counter holds `committed` (settled usage) and `reserved` (estimates of requests in flight).
// A reservation is all-or-nothing across its counters, settles or releases exactly once, and is
// reclaimed if neither happens before its lease ends (a crashed stream must not hold quota).

export interface CounterClaim {
  /** Identifies the counter: key, limit and window start. */
  counter: string;
  /** What this request reserves (1 for requests, an estimate for tokens and cost). */
  amount: number;
  max: number;
  /** When the counter's window ends; the counter may be dropped afterwards. */
  expiresAt: number;
}

export type ReserveResult = { ok: true } | { ok: false; index: number; used: number };

export interface CounterValue {
  committed: number;
  reserved: number;
}

export abstract class LimitCounterStore {
  /** Sets a counter's committed value unless the counter already exists. */
  abstract seed(counter: string, committed: number, expiresAt: number): Promise<void>;
  abstract has(counter: string): Promise<boolean>;
  /**
   * Reserves every claim or none. A claim fails when what is used (committed + reserved) plus
   * its amount would pass its max, or when nothing is left at all.
   */
  abstract reserve(reservationId: string, claims: CounterClaim[], leaseUntil: number): Promise<ReserveResult>;
  /**
   * Removes the reservation's amounts (if it is still held) and adds the actual usage. Actual
   * usage is always committed, even after a reclaim: the tokens were spent. Returns whether the
   * reservation was still held.
   */
  abstract settle(reservationId: string, actual: ReadonlyMap<string, number>): Promise<boolean>;
  /** Returns the reservation's amounts. Returns whether it was still held. */
  abstract release(reservationId: string): Promise<boolean>;
  abstract read(counters: string[]): Promise<CounterValue[]>;
  /** Releases reservations past their lease and drops counters past their window. */
  abstract sweep(now: number): Promise<number>;
}

interface Held {
  claims: CounterClaim[];
  leaseUntil: number;
}

export class MemoryLimitCounterStore extends LimitCounterStore {
  private readonly counters = new Map<string, CounterValue & { expiresAt: number }>();
  private readonly held = new Map<string, Held>();

  async seed(counter: string, committed: number, expiresAt: number): Promise<void> {
    if (!this.counters.has(counter)) this.counters.set(counter, { committed, reserved: 0, expiresAt });
  }

  async has(counter: string): Promise<boolean> {
    return this.counters.has(counter);
  }

  // No await inside: the check and the reservation happen in one turn of the event loop.
  async reserve(reservationId: string, claims: CounterClaim[], leaseUntil: number): Promise<ReserveResult> {
    for (let index = 0; index < claims.length; index++) {
      const claim = claims[index];
      const value = this.counters.get(claim.counter);
      const used = value ? value.committed + value.reserved : 0;
      if (used >= claim.max || used + claim.amount > claim.max) return { ok: false, index, used };
    }
    for (const claim of claims) {
      let value = this.counters.get(claim.counter);
      if (!value) {
        value = { committed: 0, reserved: 0, expiresAt: claim.expiresAt };
        this.counters.set(claim.counter, value);
      }
      value.reserved += claim.amount;
    }
    this.held.set(reservationId, { claims, leaseUntil });
    return { ok: true };
  }

  async settle(reservationId: string, actual: ReadonlyMap<string, number>): Promise<boolean> {
    const wasHeld = this.unhold(reservationId);
    for (const [counter, amount] of actual) {
      const value = this.counters.get(counter);
      if (value) value.committed += amount;
    }
    return wasHeld;
  }

  async release(reservationId: string): Promise<boolean> {
    return this.unhold(reservationId);
  }

  async read(counters: string[]): Promise<CounterValue[]> {
    return counters.map((counter) => {
      const value = this.counters.get(counter);
      return value ? { committed: value.committed, reserved: value.reserved } : { committed: 0, reserved: 0 };
    });
  }

  async sweep(now: number): Promise<number> {
    let reclaimed = 0;
    for (const [id, held] of this.held) {
      if (held.leaseUntil <= now && this.unhold(id)) reclaimed++;
    }
    for (const [counter, value] of this.counters) {
      if (value.expiresAt <= now && value.reserved <= 0) this.counters.delete(counter);
    }
    return reclaimed;
  }

  private unhold(reservationId: string): boolean {
    const held = this.held.get(reservationId);
    if (!held) return false;
    this.held.delete(reservationId);
    for (const claim of held.claims) {
      const value = this.counters.get(claim.counter);
      // Floating-point cost amounts could leave -1e-17; clamp so "used" never goes negative.
      if (value) value.reserved = Math.max(0, value.reserved - claim.amount);
    }
    return true;
  }
}
