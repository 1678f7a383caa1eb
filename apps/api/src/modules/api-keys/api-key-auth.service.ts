// Authenticates API keys for the proxy, on every request. A cache hit costs a SHA-256 and a Map
// lookup keyed by it; a miss costs one indexed lookup (which also checks the
// owner); a well-formed but unknown key is remembered as unknown for a few seconds, and a
// malformed one is refused without any lookup. last_used_at is collected in memory and handed
// every few seconds (and at shutdown) to the shared write-behind buffer, which writes it in one
// statement and keeps it through a database outage; never written per request.
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../../common/api-error';
import { sameSecret } from '../../common/crypto/same-secret';
import { DomainEvents } from '../../common/events';
import { keyPermissions } from '../../common/key-permissions';
import type { Principal } from '../../common/principal';
import type { WriteBehind } from '../../common/write-behind/write-behind';
import { WriteBehindRegistry } from '../../common/write-behind/write-behind.registry';
import type { AuthenticatedKey } from './api-key.types';
import { ApiKeysRepository, type ApiKeyAuthRow } from './api-keys.repository';
import { DEFAULT_KEY_CACHE_OPTIONS, KeyCache, type CachedKeyEntry } from './key-cache';
import { KeyInvalidationBus } from './key-invalidation';
import { digestHex, isWellFormedKey, keyFromHeaders } from './key-secret';

const LAST_USED_FLUSH_MS = 5_000;

type KeyState = 'usable' | 'refused';

interface Entry extends CachedKeyEntry {
  state: KeyState;
  key: AuthenticatedKey;
}

@Injectable()
export class ApiKeyAuthService implements OnModuleInit, OnModuleDestroy {
  private readonly cache = new KeyCache<Entry>(DEFAULT_KEY_CACHE_OPTIONS);
  private readonly inflight = new Map<string, Promise<Entry | null>>();
  /**
   * Per open connection, the last well-formed key it sent and its digest (see authenticateHeaders):
   * one entry per connection, gone with it (a WeakMap on the socket).
   */
  private readonly connectionDigests = new WeakMap<object, { key: string; digest: string }>();
  private lastUsed = new Map<string, number>();
  private flusher?: NodeJS.Timeout;
  private readonly lastUsedWriter: WriteBehind<{ id: string; at: number }>;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly bus: KeyInvalidationBus,
    private readonly events: DomainEvents,
    writers: WriteBehindRegistry,
  ) {
    this.lastUsedWriter = writers.create<{ id: string; at: number }>({
      name: 'keyLastUsed',
      write: (rows) =>
        this.keys.touchLastUsed(
          rows.map((row) => row.id),
          rows.map((row) => new Date(row.at)),
        ),
      // One row per key while waiting: the latest time wins.
      key: (row) => row.id,
      merge: (into, row) => void (into.at = Math.max(into.at, row.at)),
      autoFlush: false,
    });
  }

  onModuleInit(): void {
    this.bus.subscribe((message) => this.cache.apply(message));
    // Deactivation, deletion and role changes all arrive as user.changed.
    this.events.on('user.changed', ({ userId }) => this.bus.publish({ ownerId: userId }));
    // A role's permissions changed: every key whose owner holds it reloads.
    this.events.on('role.changed', ({ slug }) => this.bus.publish({ ownerRole: slug }));
    // Deleted or reassigned: every key whose allowlist names the account reloads. Entries index
    // the raw allowlist, so an account handed back to its old owner is seen too.
    this.events.on('account.changed', ({ accountId }) => this.bus.publish({ accountId }));
    // Invalidations from other replicas may have been missed: nothing cached is trusted.
    this.events.on('caches.resync', () => this.cache.clear());
    this.flusher = setInterval(() => void this.flushLastUsed(), LAST_USED_FLUSH_MS);
    this.flusher.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.flusher) clearInterval(this.flusher);
    this.handOverLastUsed();
    await this.lastUsedWriter.drainAll();
  }

  /**
   * For the proxy: the key the request carries, with its owner, allowlists and limits. Given the
   * request's connection, the key's digest is remembered for it: a client sends the same key with
   * every request of a keep-alive connection, and the comparison costs far less than a SHA-256.
   * Only the digest is reused; the entry is looked up (and checked) every time.
   */
  authenticateHeaders(headers: IncomingHttpHeaders, connection?: object): Promise<AuthenticatedKey> {
    return this.authenticate(keyFromHeaders(headers), connection);
  }

  /**
   * Resolves a raw key or throws a 401 ApiError: missing_api_key, invalid_api_key (unknown,
   * revoked, disabled, owner inactive) or api_key_expired.
   */
  async authenticate(rawKey: string | null | undefined, connection?: object): Promise<AuthenticatedKey> {
    if (!rawKey) {
      throw new ApiError(
        401,
        'missing_api_key',
        'You did not provide an API key. Send it as "Authorization: Bearer sk-clb-..." or in the x-api-key header.',
      );
    }
    if (!isWellFormedKey(rawKey)) throw invalidKey();
    // The cache and the lookup are keyed by the digest: finding an entry is the comparison. The
    // digest of a 256-bit random secret gives a timing observer nothing to work towards.
    const hex = connection === undefined ? digestHex(rawKey) : this.digestFor(connection, rawKey);
    // While other replicas' revocations cannot be confirmed (Redis down), every request reads
    // Postgres: failing closed costs a lookup, never a revoked key's request.
    const entry = (this.bus.trusted ? this.cache.get(hex) : undefined) ?? (await this.load(hex));
    if (!entry || entry.state === 'refused') throw invalidKey();
    if (entry.key.expiresAt !== null && entry.key.expiresAt <= Date.now()) {
      throw new ApiError(401, 'api_key_expired', 'This API key has expired. Ask its owner for a new one.');
    }
    this.lastUsed.set(entry.keyId, Date.now());
    return entry.key;
  }

  /**
   * The digest of the key last sent on this connection, or of this one (then remembered). A
   * connection may carry several clients' requests (a reverse proxy's keep-alive connection), so
   * the keys are compared without an early exit: how long a comparison takes says nothing about
   * how much of another client's key a guess got right.
   */
  private digestFor(connection: object, rawKey: string): string {
    const last = this.connectionDigests.get(connection);
    if (last !== undefined && sameSecret(last.key, rawKey)) return last.digest;
    const digest = digestHex(rawKey);
    this.connectionDigests.set(connection, { key: rawKey, digest });
    return digest;
  }

  /** Drops cached keys that allow this account (call when an account is deleted or reassigned). */
  invalidateForAccount(accountId: string): void {
    this.bus.publish({ accountId });
  }

  invalidateKey(keyId: string, newDigest?: string): void {
    this.bus.publish({ keyId, digest: newDigest });
  }

  invalidateOwner(ownerId: string): void {
    this.bus.publish({ ownerId });
  }

  /** One lookup per digest at a time: a burst of requests with a cold key shares it. */
  private load(hex: string): Promise<Entry | null> {
    const trusted = this.bus.trusted;
    if (trusted && this.cache.isKnownMissing(hex)) return Promise.resolve(null);
    let pending = this.inflight.get(hex);
    if (!pending) {
      // Read before the lookup: an invalidation (local or from another replica) arriving while
      // it runs bumps the generation, and the now stale row is not stored.
      const generation = this.cache.generation;
      pending = this.keys
        .findByDigest(hex)
        .then((row) => {
          // Stored only when invalidations were confirmed both before and after the lookup.
          const store = trusted && this.bus.trusted;
          if (!row) {
            if (store) this.cache.rememberMissing(hex, generation);
            return null;
          }
          const entry = toEntry(row);
          if (store) this.cache.set(hex, entry, generation);
          return entry;
        })
        .finally(() => this.inflight.delete(hex));
      this.inflight.set(hex, pending);
    }
    return pending;
  }

  async flushLastUsed(): Promise<void> {
    this.handOverLastUsed();
    await this.lastUsedWriter.flush();
  }

  private handOverLastUsed(): void {
    if (this.lastUsed.size === 0) return;
    const batch = this.lastUsed;
    this.lastUsed = new Map();
    for (const [id, at] of batch) this.lastUsedWriter.add({ id, at });
  }
}

/** The 401 for a key that is unknown or no longer active (also for a stream whose key was revoked). */
export function invalidKey(): ApiError {
  return new ApiError(401, 'invalid_api_key', 'Incorrect API key provided, or the key is no longer active.');
}

function toEntry(row: ApiKeyAuthRow): Entry {
  const usable = row.isActive && row.revokedAt === null && row.ownerActive;
  // The raw allowlist: the effective pool (computed per request from memory) drops the accounts
  // the owner can no longer use, so a membership change needs no reload of the key.
  const allowlist = row.accountsRestricted ? Object.freeze([...row.allowlistIds]) : null;
  const accountIds = allowlist;
  const principal: Principal = {
    kind: 'api_key',
    userId: row.ownerUserId,
    username: row.ownerUsername,
    role: row.ownerRole,
    // The key's scopes within its owner's permissions: a key without `proxy` cannot use the proxy.
    permissions: keyPermissions(row.ownerPermissions, row.scopes),
    mustChangePassword: false,
    apiKeyId: row.id,
  };
  return {
    keyId: row.id,
    ownerId: row.ownerUserId,
    ownerRole: row.ownerRole,
    accountIds: allowlist,
    state: usable ? 'usable' : 'refused',
    key: Object.freeze({
      id: row.id,
      name: row.name,
      ownerUserId: row.ownerUserId,
      ownerUsername: row.ownerUsername,
      ownerRole: row.ownerRole,
      ownerPermissions: Object.freeze([...row.ownerPermissions]),
      allowedModels: Object.freeze([...row.allowedModels]),
      accountIds,
      groupIds: Object.freeze([...row.groupIds]),
      scopes: Object.freeze([...row.scopes]),
      limits: Object.freeze(row.limits.map((limit) => Object.freeze({ ...limit }))),
      expiresAt: row.expiresAt ? new Date(row.expiresAt).getTime() : null,
      principal,
    }),
  };
}
