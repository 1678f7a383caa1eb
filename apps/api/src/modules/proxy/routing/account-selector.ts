// Chooses the upstream account for a request, from the key owner's accounts only (intersected
// with the key's allowlist). Pure logic over the in-memory pool, so it is cheap and unit-testable.
//
// - Hard stickiness: a request that continues a conversation (previous_response_id, Codex turn
//   state, session id) goes to the account that served it; if that account cannot serve now,
//   the caller gets an error that says so rather than a silent switch that loses the conversation.
// - Soft stickiness: the same prompt_cache_key stays on one account for 30 minutes (prompt-cache
//   hits depend on it) unless that account nears its limits.
// - Otherwise: weighted random by remaining quota of both windows, which spreads load.
//
// Whether an account can serve is the accounts module's rule (account-state.ts `usability`).
// Sticky keys come from the client, so every map is bounded in entries. Conversation bindings
// are held as keyed 64-bit hashes off the heap (binding-table.ts), whatever a key's length; a
// prompt cache key, and a key written to the shared store, longer than STICKY_KEY_MAX_CHARS is
// stored as its SHA-256 (128 bits, base64url). The usual keys (owner id + a response id, a
// session uuid or a short cache key) fit and cost no hashing there.
import { hash } from 'node:crypto';
import { usability } from '../../accounts/account-state';
import type { PooledAccount } from './account-pool';
import { GenerationalMap } from './binding-table';

export const SOFT_STICKY_TTL_MS = 30 * 60_000;
/** A conversation binding lasts at least this long after its last request, at most twice that. */
export const HARD_STICKY_MIN_MS = 12 * 3600_000;
/**
 * Conversation bindings held at most. The 12-hour lifetime holds while fewer than half of this
 * many new bindings are made per 12 hours (~4.6 per second); beyond that the oldest go first.
 */
export const HARD_STICKY_MAX_ENTRIES = 400_000;
export const SOFT_STICKY_MAX_ENTRIES = 200_000;
export const STICKY_KEY_MAX_CHARS = 96;
/**
 * Codex echoes a turn state only within its turn, so turn-state bindings live apart from the
 * conversation bindings, for one to two hours, at most 100,000 of them: a new one per response
 * would otherwise double the long-lived map and its memory, and every insert into that large map
 * costs cache misses (bench/BASELINE.md).
 */
export const TURN_STICKY_MIN_MS = 3600_000;
export const TURN_STICKY_MAX_ENTRIES = 100_000;
/** Marks a turn-state key (no other sticky key starts with a control character but the digest's NUL). */
const TURN_MARK = '\u0001';

/** The sticky key of a Codex turn state, scoped to the key's owner. */
export function turnBindingKey(ownerUserId: string, turnState: string): string {
  return `${TURN_MARK}${ownerUserId}:turn:${turnState}`;
}

function isTurnKey(key: string): boolean {
  return key.charCodeAt(0) === 1;
}

/** A hard binding's key in the shared store: `t:` for turn states, `h:` for the others. */
function sharedKey(key: string, stored: string): string {
  return `${isTurnKey(key) ? 't' : 'h'}:${stored}`;
}
const NEAR_LIMIT_PERCENT = 90;
const UNKNOWN_USED_PERCENT = 50;

/**
 * The form a sticky key is stored in: itself when short, else a NUL-prefixed digest (a NUL never
 * starts a key stored as is, so a digest cannot collide with a short key).
 */
export function stickyKey(key: string): string {
  if (key.length <= STICKY_KEY_MAX_CHARS && key.charCodeAt(0) !== 0) return key;
  return `\0${hash('sha256', key, 'base64url').slice(0, 22)}`;
}

export type SelectionFailure =
  | { code: 'no_accounts'; message: string }
  | { code: 'all_accounts_rate_limited'; message: string; retryAfterSeconds: number }
  | { code: 'sticky_account_unavailable'; message: string; retryAfterSeconds?: number };

export type Selection = { account: PooledAccount; sticky: 'hard' | 'soft' | null } | { failure: SelectionFailure };

/** When a temporarily unusable account (cooling down, out of quota, backing off) may serve again; else 0. */
export function unavailableUntil(account: PooledAccount, now: number): number {
  const state = usability(account, now);
  return !state.usable && 'retryAt' in state ? state.retryAt : 0;
}

/** Usable now: by its state (account-state.ts), and with an access token this process can use. */
export function isUsable(account: PooledAccount, now: number): boolean {
  return usability(account, now).usable && account.accessToken !== '';
}

function headroom(account: PooledAccount): number {
  const primary = 100 - (account.primaryUsed ?? UNKNOWN_USED_PERCENT);
  const secondary = 100 - (account.secondaryUsed ?? UNKNOWN_USED_PERCENT);
  return Math.max(0.5, Math.min(primary, secondary));
}

/** A small TTL map: sticky keys expire, and the map never grows without bound. */
export class StickyMap {
  private readonly entries = new Map<string, { accountId: string; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = SOFT_STICKY_MAX_ENTRIES,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now = Date.now()): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.accountId;
  }

  set(key: string, accountId: string, now = Date.now()): void {
    const existing = this.entries.get(key);
    if (existing && existing.accountId === accountId) {
      // Refreshing a live entry in place avoids re-inserting into the map on every request.
      existing.expiresAt = now + this.ttlMs;
      return;
    }
    if (this.entries.size >= this.maxEntries && !existing) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.delete(key);
    this.entries.set(key, { accountId, expiresAt: now + this.ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

export interface SelectInput {
  candidates: PooledAccount[];
  hardKeys: string[];
  softKey: string | null;
  exclude: ReadonlySet<string>;
  now?: number;
  random?: () => number;
}

/**
 * Bindings shared by every replica (Redis), so a conversation stays on its account whichever
 * replica serves its next turn. The local maps stay in front: a binding is looked up there only
 * when this replica does not know the key, and every binding made here is written through.
 */
export interface SharedBindings {
  /** The account ids of these stored keys (null: unknown); [] when the store cannot answer now. */
  load(keys: string[]): Promise<(string | null)[]>;
  /** Fire and forget: [stored key, account id, time to live in ms]. */
  store(entries: [string, string, number][]): void;
}

export class AccountSelector {
  readonly hard: GenerationalMap;
  /** Turn-state bindings (see TURN_STICKY_MIN_MS). */
  readonly turns: GenerationalMap;
  readonly soft: StickyMap;
  /** Set when several replicas share bindings; null in one process. */
  shared: SharedBindings | null = null;

  constructor(limits: { hardMaxEntries?: number; softMaxEntries?: number; turnMaxEntries?: number } = {}) {
    this.hard = new GenerationalMap(HARD_STICKY_MIN_MS, limits.hardMaxEntries ?? HARD_STICKY_MAX_ENTRIES);
    this.turns = new GenerationalMap(TURN_STICKY_MIN_MS, limits.turnMaxEntries ?? TURN_STICKY_MAX_ENTRIES);
    this.soft = new StickyMap(SOFT_STICKY_TTL_MS, limits.softMaxEntries);
  }

  /** The map a hard key's binding lives in. */
  private bindingsFor(key: string): GenerationalMap {
    return isTurnKey(key) ? this.turns : this.hard;
  }

  select(input: SelectInput): Selection {
    const now = input.now ?? Date.now();
    const { candidates } = input;
    if (candidates.length === 0) {
      return {
        failure: {
          code: 'no_accounts',
          message:
            'No upstream account is available to this API key: add an account in the dashboard (or check the key’s account list).',
        },
      };
    }
    for (const key of input.hardKeys) {
      const id = this.bindingsFor(key).get(key, now);
      if (!id) continue;
      const account = candidates.find((a) => a.id === id);
      if (account && isUsable(account, now) && !input.exclude.has(id)) return { account, sticky: 'hard' };
      const until = account ? unavailableUntil(account, now) : 0;
      return {
        failure: {
          code: 'sticky_account_unavailable',
          message:
            `This conversation is bound to the upstream account that served it, which cannot serve now` +
            (account ? ` (${describe(account, now, input.exclude)})` : ' (removed)') +
            '. Start a new conversation to continue on another account.',
          ...(until ? { retryAfterSeconds: Math.ceil((until - now) / 1000) } : {}),
        },
      };
    }

    const usable = candidates.filter((a) => isUsable(a, now) && !input.exclude.has(a.id));
    if (usable.length === 0) {
      let earliest = Infinity;
      for (const account of candidates) {
        const until = unavailableUntil(account, now);
        if (until > 0 && until < earliest) earliest = until;
      }
      if (earliest !== Infinity) {
        return {
          failure: {
            code: 'all_accounts_rate_limited',
            message: `Every upstream account available to this key is rate-limited; the earliest resets at ${new Date(earliest).toISOString()}.`,
            retryAfterSeconds: Math.max(1, Math.ceil((earliest - now) / 1000)),
          },
        };
      }
      const states = [...new Set(candidates.map((a) => describe(a, now, input.exclude)))].join(', ');
      return {
        failure: {
          code: 'no_accounts',
          message: `No upstream account available to this key can serve: they are ${states}. Resume or re-authenticate an account in the dashboard.`,
        },
      };
    }

    if (input.softKey) {
      const id = this.soft.get(stickyKey(input.softKey), now);
      const account = id ? usable.find((a) => a.id === id) : undefined;
      if (
        account &&
        (account.primaryUsed ?? 0) < NEAR_LIMIT_PERCENT &&
        (account.secondaryUsed ?? 0) < NEAR_LIMIT_PERCENT
      ) {
        return { account, sticky: 'soft' };
      }
    }

    const random = input.random ?? Math.random;
    let total = 0;
    for (const account of usable) total += headroom(account);
    let pick = random() * total;
    let chosen = usable[usable.length - 1];
    for (const account of usable) {
      pick -= headroom(account);
      if (pick <= 0) {
        chosen = account;
        break;
      }
    }
    return { account: chosen, sticky: null };
  }

  /** Remembers where a conversation and a prompt cache key went. */
  remember(accountId: string, hardKeys: string[], softKey: string | null): void {
    if (this.shared) return this.rememberShared(this.shared, accountId, hardKeys, softKey);
    for (const key of hardKeys) this.bindingsFor(key).set(key, accountId);
    if (softKey) this.soft.set(stickyKey(softKey), accountId);
  }

  /**
   * The same, written through to the shared bindings when a binding is new or moved here (a
   * conversation's next turn on the same account writes nothing; the shared entry keeps the time
   * to live of its write).
   */
  private rememberShared(shared: SharedBindings, accountId: string, hardKeys: string[], softKey: string | null): void {
    const now = Date.now();
    let entries: [string, string, number][] | null = null;
    for (const key of hardKeys) {
      const bindings = this.bindingsFor(key);
      if (bindings.get(key, now) !== accountId) {
        const lifetime = bindings === this.turns ? TURN_STICKY_MIN_MS : HARD_STICKY_MIN_MS;
        (entries ??= []).push([sharedKey(key, stickyKey(key)), accountId, 2 * lifetime]);
      }
      bindings.set(key, accountId, now);
    }
    if (softKey) {
      const stored = stickyKey(softKey);
      if (this.soft.get(stored, now) !== accountId)
        (entries ??= []).push([`s:${stored}`, accountId, SOFT_STICKY_TTL_MS]);
      this.soft.set(stored, accountId, now);
    }
    if (entries) shared.store(entries);
  }

  /**
   * With shared bindings: the keys this replica does not know are looked up in one round trip
   * before select() (null when there is nothing to look up, so the caller awaits nothing).
   */
  prefetch(hardKeys: string[], softKey: string | null): Promise<void> | null {
    const shared = this.shared;
    if (!shared) return null;
    const now = Date.now();
    // The shared store's keys, and the local key each one fills in (soft keys are stored forms).
    const missing: string[] = [];
    const local: string[] = [];
    for (const key of hardKeys) {
      if (this.bindingsFor(key).get(key, now) === undefined) {
        missing.push(sharedKey(key, stickyKey(key)));
        local.push(key);
      }
    }
    if (softKey) {
      const stored = stickyKey(softKey);
      if (this.soft.get(stored, now) === undefined) {
        missing.push(`s:${stored}`);
        local.push(stored);
      }
    }
    if (missing.length === 0) return null;
    return shared.load(missing).then((ids) => {
      ids.forEach((id, index) => {
        if (!id) return;
        const key = local[index];
        if (missing[index].startsWith('s:')) this.soft.set(key, id, now);
        else this.bindingsFor(key).set(key, id, now);
      });
    });
  }
}

/** Why an account cannot serve, in a few words for an error message. */
function describe(account: PooledAccount, now: number, exclude: ReadonlySet<string>): string {
  const state = usability(account, now);
  if (!state.usable) {
    if (!('retryAt' in state)) return state.reason;
    const what =
      state.reason === 'backing_off'
        ? 'backing off'
        : state.reason === 'quota_exhausted'
          ? 'out of quota'
          : 'cooling down';
    return `${what} until ${new Date(state.retryAt).toISOString()}`;
  }
  if (!account.accessToken) return 'without a usable token';
  return exclude.has(account.id) ? 'already tried for this request' : 'active';
}
