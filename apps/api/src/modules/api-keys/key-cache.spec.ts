import { KeyCache, type CachedKeyEntry } from './key-cache';

const entry = (keyId: string, ownerId = 'owner-1', accountIds: string[] | null = null): CachedKeyEntry => ({
  keyId,
  ownerId,
  accountIds,
});

describe('KeyCache', () => {
  let now = 1_000_000;
  const make = (overrides = {}) =>
    new KeyCache<CachedKeyEntry>({
      maxEntries: 3,
      maxAgeMs: 60_000,
      negativeTtlMs: 10_000,
      negativeMaxEntries: 2,
      now: () => now,
      ...overrides,
    });

  beforeEach(() => {
    now = 1_000_000;
  });

  it('serves a fill until the key, its owner or an allowlisted account changes', () => {
    const cache = make();
    cache.set('a', entry('k1', 'o1'), cache.generation);
    cache.set('b', entry('k2', 'o1', ['acc-1']), cache.generation);
    cache.set('c', entry('k3', 'o2'), cache.generation);
    expect(cache.get('a')?.keyId).toBe('k1');

    cache.apply({ keyId: 'k1' });
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();

    cache.apply({ accountId: 'acc-1' });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toBeDefined();

    cache.set('a', entry('k1', 'o2'), cache.generation);
    cache.apply({ ownerId: 'o2' });
    expect([cache.get('a'), cache.get('c')]).toEqual([undefined, undefined]);
  });

  it('drops the keys of every holder of a role whose permissions changed', () => {
    const cache = make();
    cache.set('a', { ...entry('k1', 'o1'), ownerRole: 'auditor' }, cache.generation);
    cache.set('b', { ...entry('k2', 'o2'), ownerRole: 'auditor' }, cache.generation);
    cache.set('c', { ...entry('k3', 'o3'), ownerRole: 'user' }, cache.generation);
    cache.apply({ ownerRole: 'auditor' });
    expect([cache.get('a'), cache.get('b'), cache.get('c')?.keyId]).toEqual([undefined, undefined, 'k3']);
  });

  it('discards a fill that raced with an invalidation', () => {
    const cache = make();
    const generation = cache.generation;
    cache.apply({ keyId: 'k1' }); // e.g. revoked while the lookup was in flight
    expect(cache.set('a', entry('k1'), generation)).toBe(false);
    expect(cache.get('a')).toBeUndefined();
    cache.rememberMissing('x', generation);
    expect(cache.isKnownMissing('x')).toBe(false);
  });

  it('ages entries out and evicts the oldest beyond its size', () => {
    const cache = make();
    for (const id of ['a', 'b', 'c', 'd']) cache.set(id, entry(id), cache.generation);
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    now += 60_001;
    expect(cache.get('d')).toBeUndefined();
  });

  it('remembers unknown digests briefly and within a bound', () => {
    const cache = make();
    cache.rememberMissing('x', cache.generation);
    expect(cache.isKnownMissing('x')).toBe(true);
    cache.rememberMissing('y', cache.generation);
    cache.rememberMissing('z', cache.generation);
    expect(cache.isKnownMissing('x')).toBe(false);
    expect(cache.isKnownMissing('z')).toBe(true);
    now += 10_001;
    expect(cache.isKnownMissing('z')).toBe(false);
    cache.rememberMissing('new', cache.generation);
    cache.apply({ digest: 'new' });
    expect(cache.isKnownMissing('new')).toBe(false);
  });
});
