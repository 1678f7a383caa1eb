// Conversation bindings held off the JavaScript heap. A binding maps a client-chosen key (an owner
// id and a response id, a session id or a turn state) to an account; one is made per response,
// so a busy gateway holds hundreds of thousands. As Map entries each cost its key string, the
// map's slot and the collector's time tracing them on every full collection (~60 MB at the
// bounds, bench/BASELINE.md); here an entry is a 16-byte slot of a typed array: the key's 64-bit
// keyed hash and the account's index, in tables that grow with the entries held.
//
// The hash is HalfSipHash-1-3 with a key drawn at start, over the key's UTF-16 code units: a
// client cannot choose keys that collide without knowing it. Two keys that still collide by
// chance (about one in 2^64 per lookup and entry) share a binding; the selector then finds the
// bound account outside the caller's candidates and answers as for a removed account, so a
// collision can never route a request to an account its key may not use.
import { randomBytes } from 'node:crypto';

const SEED = randomBytes(8);
const K0 = SEED.readInt32LE(0);
const K1 = SEED.readInt32LE(4);

/** The two 32-bit halves of the last hash (module-level, so hashing allocates nothing). */
let h0 = 0;
let h1 = 0;

function rotl(x: number, b: number): number {
  return (x << b) | (x >>> (32 - b));
}

/**
 * HalfSipHash-1-3 of `key`'s code units (two per message word), 64-bit output into h0, h1. The
 * SipRound is written once: after each group of rounds the next step is taken (absorb the next
 * word, the last block with the length, then the two finalisations), in locals throughout.
 */
function hashKey(key: string): void {
  let v0 = K0;
  let v1 = K1 ^ 0xee;
  let v2 = 0x6c796765 ^ K0;
  let v3 = 0x74656462 ^ K1;
  const n = key.length;
  const pairs = n & ~1;
  // The last block: an odd code unit, if any, and the length.
  const last = (n & 1 ? key.charCodeAt(n - 1) : 0) | ((n & 0xff) << 24);
  let i = 0;
  let m = pairs > 0 ? key.charCodeAt(0) | (key.charCodeAt(1) << 16) : last;
  // 0: message words, 1: the last block, 2: first finalisation, 3: second.
  let stage = pairs > 0 ? 0 : 1;
  let rounds = 1;
  v3 ^= m;
  for (;;) {
    v0 = (v0 + v1) | 0;
    v1 = rotl(v1, 5) ^ v0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) | 0;
    v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = rotl(v1, 13) ^ v2;
    v2 = rotl(v2, 16);
    if (--rounds > 0) continue;
    if (stage <= 1) {
      v0 ^= m;
      i += 2;
      if (stage === 0 && i < pairs) {
        m = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
      } else if (stage === 0) {
        m = last;
        stage = 1;
      } else {
        v2 ^= 0xee;
        stage = 2;
        rounds = 3;
        continue;
      }
      v3 ^= m;
      rounds = 1;
    } else if (stage === 2) {
      h0 = v1 ^ v3;
      v1 ^= 0xdd;
      stage = 3;
      rounds = 3;
    } else {
      h1 = v1 ^ v3;
      return;
    }
  }
}

/** Slots a table starts with (16 KB); it doubles as it fills, up to what its limit needs. */
const MIN_CAPACITY = 1024;

/**
 * An open-addressing table (linear probing) from a 64-bit key hash to a positive integer, for at
 * most `limit` entries, at most half full. It grows by doubling, so memory follows the entries
 * held rather than the limit, and a cleared table starts small again. No deletion: generations
 * are cleared whole.
 */
class HashSlots {
  private mask = 0;
  /** Per slot: the hash's halves and the value (0: empty), side by side in one cache line. */
  private slots = new Int32Array(0);
  /** The capacity that `limit` entries need at most half full. */
  private readonly maxCapacity: number;
  size = 0;

  constructor(readonly limit: number) {
    let capacity = MIN_CAPACITY;
    while (capacity < limit * 2) capacity *= 2;
    this.maxCapacity = capacity;
    this.allocate(Math.min(MIN_CAPACITY, capacity));
  }

  /** Slots allocated (for specs). */
  get capacity(): number {
    return this.mask + 1;
  }

  private allocate(capacity: number): void {
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity * 4);
  }

  /** The value stored for the last hash (h0, h1), or 0. */
  get(): number {
    const { slots, mask } = this;
    for (let slot = h0 & mask; ; slot = (slot + 1) & mask) {
      const at = slot << 2;
      const value = slots[at + 2];
      if (value === 0) return 0;
      if (slots[at] === h0 && slots[at + 1] === h1) return value;
    }
  }

  /** Stores `value` (> 0) for the last hash; false when the table is at its limit and it is new. */
  set(value: number): boolean {
    const { slots, mask } = this;
    for (let slot = h0 & mask; ; slot = (slot + 1) & mask) {
      const at = slot << 2;
      if (slots[at + 2] === 0) {
        if (this.size >= this.limit) return false;
        if ((this.size + 1) * 2 > mask + 1 && mask + 1 < this.maxCapacity) {
          this.grow();
          return this.set(value);
        }
        slots[at] = h0;
        slots[at + 1] = h1;
        slots[at + 2] = value;
        this.size += 1;
        return true;
      }
      if (slots[at] === h0 && slots[at + 1] === h1) {
        slots[at + 2] = value;
        return true;
      }
    }
  }

  /** Twice the slots, every entry placed again by its stored hash. */
  private grow(): void {
    const old = this.slots;
    this.allocate((this.mask + 1) * 2);
    const { slots, mask } = this;
    for (let from = 0; from < old.length; from += 4) {
      const value = old[from + 2];
      if (value === 0) continue;
      let slot = old[from] & mask;
      while (slots[(slot << 2) + 2] !== 0) slot = (slot + 1) & mask;
      const at = slot << 2;
      slots[at] = old[from];
      slots[at + 1] = old[from + 1];
      slots[at + 2] = value;
    }
  }

  clear(): void {
    if (this.size === 0) return;
    if (this.mask + 1 > MIN_CAPACITY) this.allocate(MIN_CAPACITY);
    else this.slots.fill(0);
    this.size = 0;
  }
}

/**
 * Conversation bindings (session, turn state, and every response id, so one new entry per
 * response): two generations of key-to-account tables. An entry lives between `generationMs`
 * and twice that after it was last set; the generations also turn over early when the newer one
 * holds half of `maxEntries`, so at most `maxEntries` are held and the oldest go first.
 */
export class GenerationalMap {
  private current: HashSlots;
  private previous: HashSlots;
  private turnedAt: number;
  /** Account ids by index - 1 (a few per gateway: the accounts that served a conversation). */
  private accountIds: string[] = [];
  private accountIndex = new Map<string, number>();

  constructor(
    private readonly generationMs: number,
    maxEntries: number,
    now = Date.now(),
  ) {
    const perGeneration = Math.max(1, Math.floor(maxEntries / 2));
    this.current = new HashSlots(perGeneration);
    this.previous = new HashSlots(perGeneration);
    this.turnedAt = now;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** Slots allocated in both generations (16 bytes each). */
  get capacity(): number {
    return this.current.capacity + this.previous.capacity;
  }

  get(key: string, now = Date.now()): string | undefined {
    if (now - this.turnedAt >= this.generationMs) this.turn(now);
    hashKey(key);
    const value = this.current.get() || this.previous.get();
    return value === 0 ? undefined : this.accountIds[value - 1];
  }

  set(key: string, accountId: string, now = Date.now()): void {
    if (now - this.turnedAt >= this.generationMs) this.turn(now);
    const value = this.indexOf(accountId);
    hashKey(key);
    if (!this.current.set(value)) {
      this.turn(now);
      this.current.set(value);
    }
  }

  private indexOf(accountId: string): number {
    let value = this.accountIndex.get(accountId);
    if (value === undefined) {
      // Account ids are few (accounts that served since the last turn-over); should removed
      // accounts ever pile up, the tables start over rather than the index growing for good.
      if (this.accountIds.length >= 0xffff) this.reset();
      this.accountIds.push(accountId);
      value = this.accountIds.length;
      this.accountIndex.set(accountId, value);
    }
    return value;
  }

  private reset(): void {
    this.current.clear();
    this.previous.clear();
    this.accountIds = [];
    this.accountIndex = new Map();
  }

  private turn(now: number): void {
    const older = this.previous;
    older.clear();
    if (now - this.turnedAt >= 2 * this.generationMs) this.current.clear();
    this.previous = this.current;
    this.current = older;
    this.turnedAt = now;
  }
}
