// The in-memory cache behind key authentication: a hit costs a Map lookup and no database round
// trip. Entries hold a key whatever its state (revoked and disabled keys are refused from the
// entry just as fast), and are dropped on every change to the key, its owner or its accounts.
//
// A lookup that started before an invalidation must not write its (now stale) row back: every
// invalidation bumps a generation, and a fill carrying an older generation is discarded. Entries
// also age out after maxAgeMs, a backstop for a change made behind the application's back.
import type { KeyInvalidation } from './key-invalidation';

/** Entries are found by the SHA-256 of the secret (hex), so a hit is the digest comparison. */
export interface CachedKeyEntry {
  keyId: string;
  ownerId: string;
  /** The owner's role slug when loaded, to find the entries a role change affects. */
  ownerRole?: string;
  /** The raw allowlist (null = every account of the owner), to find entries an account change affects. */
  accountIds: readonly string[] | null;
}

export interface KeyCacheOptions {
  maxEntries: number;
  maxAgeMs: number;
  negativeTtlMs: number;
  negativeMaxEntries: number;
  now?: () => number;
}

export const DEFAULT_KEY_CACHE_OPTIONS: KeyCacheOptions = {
  maxEntries: 50_000,
  maxAgeMs: 10 * 60_000,
  negativeTtlMs: 10_000,
  negativeMaxEntries: 10_000,
};

export class KeyCache<E extends CachedKeyEntry> {
  private readonly entries = new Map<string, { entry: E; cachedAt: number }>();
  private readonly missing = new Map<string, number>();
  private currentGeneration = 0;
  private readonly now: () => number;

  constructor(private readonly options: KeyCacheOptions = DEFAULT_KEY_CACHE_OPTIONS) {
    this.now = options.now ?? Date.now;
  }

  get generation(): number {
    return this.currentGeneration;
  }

  get size(): number {
    return this.entries.size;
  }

  get(digestHex: string): E | undefined {
    const slot = this.entries.get(digestHex);
    if (!slot) return undefined;
    if (this.now() - slot.cachedAt > this.options.maxAgeMs) {
      this.entries.delete(digestHex);
      return undefined;
    }
    return slot.entry;
  }

  /** Stores a fill unless an invalidation happened since `generation` was read. */
  set(digestHex: string, entry: E, generation: number): boolean {
    if (generation !== this.currentGeneration) return false;
    this.entries.delete(digestHex);
    this.entries.set(digestHex, { entry, cachedAt: this.now() });
    // Maps iterate in insertion order: the first entry is the oldest fill.
    if (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return true;
  }

  isKnownMissing(digestHex: string): boolean {
    const until = this.missing.get(digestHex);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.missing.delete(digestHex);
    return false;
  }

  /** Remembers an unknown digest briefly, so repeating a bad key costs no lookup. */
  rememberMissing(digestHex: string, generation: number): void {
    if (generation !== this.currentGeneration) return;
    this.missing.delete(digestHex);
    this.missing.set(digestHex, this.now() + this.options.negativeTtlMs);
    if (this.missing.size > this.options.negativeMaxEntries) this.missing.delete(this.missing.keys().next().value!);
  }

  apply(message: KeyInvalidation): void {
    if (message.all) return this.clear();
    this.currentGeneration++;
    if (message.digest) this.missing.delete(message.digest);
    if (!message.keyId && !message.ownerId && !message.accountId && !message.ownerRole) return;
    for (const [digest, { entry }] of this.entries) {
      if (
        (message.keyId !== undefined && entry.keyId === message.keyId) ||
        (message.ownerId !== undefined && entry.ownerId === message.ownerId) ||
        (message.ownerRole !== undefined && entry.ownerRole === message.ownerRole) ||
        (message.accountId !== undefined && entry.accountIds?.includes(message.accountId))
      ) {
        this.entries.delete(digest);
      }
    }
  }

  clear(): void {
    this.currentGeneration++;
    this.entries.clear();
    this.missing.clear();
  }
}
