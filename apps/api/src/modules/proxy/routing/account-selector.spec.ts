import type { PooledAccount } from './account-pool';
import {
  AccountSelector,
  STICKY_KEY_MAX_CHARS,
  stickyKey,
  TURN_STICKY_MIN_MS,
  turnBindingKey,
  type Selection,
  type SelectInput,
} from './account-selector';

const NOW = 1_700_000_000_000;

function account(id: string, change: Partial<PooledAccount> = {}): PooledAccount {
  return {
    id,
    ownerUserId: 'owner-1',
    chatgptAccountId: `seat-${id}`,
    email: null,
    status: 'active',
    statusReason: null,
    cooldownUntil: 0,
    backoffUntil: 0,
    primaryUsed: 0,
    secondaryUsed: 0,
    primaryResetsAt: null,
    secondaryResetsAt: null,
    accessToken: `token-${id}`,
    tokenExpiresAt: null,
    quotaObservedAt: 0,
    ...change,
  };
}

/** A small deterministic generator (mulberry32), so the statistical checks never flake. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function select(selector: AccountSelector, input: Partial<SelectInput> & Pick<SelectInput, 'candidates'>): Selection {
  return selector.select({ hardKeys: [], softKey: null, exclude: new Set(), now: NOW, ...input });
}

function chosen(selection: Selection): string {
  if ('failure' in selection) throw new Error(`expected an account, got ${selection.failure.code}`);
  return selection.account.id;
}

function failure(selection: Selection) {
  if (!('failure' in selection)) throw new Error(`expected a failure, got ${selection.account.id}`);
  return selection.failure;
}

/** How often each account is chosen over `draws` selections. */
function shares(
  selector: AccountSelector,
  input: Partial<SelectInput> & Pick<SelectInput, 'candidates'>,
  draws = 20_000,
) {
  const random = seeded(42);
  const counts = new Map<string, number>();
  for (let i = 0; i < draws; i++) {
    const id = chosen(select(selector, { ...input, random }));
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return (id: string) => (counts.get(id) ?? 0) / draws;
}

describe('AccountSelector: candidates', () => {
  it('chooses only accounts that can serve now', () => {
    const selector = new AccountSelector();
    const candidates = [
      account('ok'),
      account('paused', { status: 'paused' }),
      account('reauth', { status: 'reauth_required' }),
      account('gone', { status: 'deactivated' }),
      account('cooling', { status: 'rate_limited', cooldownUntil: NOW + 60_000 }),
      account('quota', { status: 'quota_exceeded', cooldownUntil: NOW + 60_000 }),
      account('backoff', { backoffUntil: NOW + 5_000 }),
      account('no-token', { accessToken: '' }),
    ];
    const share = shares(selector, { candidates }, 2_000);
    expect(share('ok')).toBe(1);
  });

  it('uses an account again once its cooldown or backoff has run out', () => {
    const selector = new AccountSelector();
    const candidates = [
      account('was-cooling', { status: 'rate_limited', cooldownUntil: NOW }),
      account('was-backing-off', { backoffUntil: NOW - 1 }),
    ];
    const share = shares(selector, { candidates }, 2_000);
    expect(share('was-cooling')).toBeGreaterThan(0.4);
    expect(share('was-backing-off')).toBeGreaterThan(0.4);
  });

  it('never chooses an account already tried for this request', () => {
    const selector = new AccountSelector();
    const candidates = [account('a'), account('b'), account('c')];
    const share = shares(selector, { candidates, exclude: new Set(['a', 'c']) }, 2_000);
    expect(share('b')).toBe(1);
  });
});

describe('AccountSelector: weighting by remaining quota', () => {
  it('spreads requests in proportion to the headroom of the fuller window', () => {
    const selector = new AccountSelector();
    const candidates = [
      account('busy', { primaryUsed: 90, secondaryUsed: 10 }), // headroom 10
      account('idle', { primaryUsed: 10, secondaryUsed: 10 }), // headroom 90
      account('weekly', { primaryUsed: 0, secondaryUsed: 50 }), // headroom 50
    ];
    const share = shares(selector, { candidates });
    expect(share('busy')).toBeCloseTo(10 / 150, 1);
    expect(share('idle')).toBeCloseTo(90 / 150, 1);
    expect(share('weekly')).toBeCloseTo(50 / 150, 1);
  });

  it('counts an unknown window as half used, and keeps a full account barely possible', () => {
    const selector = new AccountSelector();
    const candidates = [
      account('unknown', { primaryUsed: null, secondaryUsed: null }), // headroom 50
      account('known', { primaryUsed: 50, secondaryUsed: 0 }), // headroom 50
      account('full', { primaryUsed: 100, secondaryUsed: 100 }), // headroom floor 0.5
    ];
    const share = shares(selector, { candidates });
    expect(Math.abs(share('unknown') - share('known'))).toBeLessThan(0.03);
    expect(share('full')).toBeGreaterThan(0);
    expect(share('full')).toBeLessThan(0.02);
  });
});

describe('AccountSelector: hard stickiness', () => {
  it('sends a continued conversation to the account that served it, whatever the weights', () => {
    const selector = new AccountSelector();
    const candidates = [account('a', { primaryUsed: 80 }), account('b')];
    selector.remember('a', ['owner-1:resp:r1'], null);
    for (let i = 0; i < 50; i++) {
      const selection = select(selector, { candidates, hardKeys: ['owner-1:resp:r1'], random: seeded(i) });
      expect(selection).toEqual({ account: candidates[0], sticky: 'hard' });
    }
  });

  it('uses the first bound key among several', () => {
    const selector = new AccountSelector();
    const candidates = [account('a'), account('b')];
    selector.remember('b', ['owner-1:session:s1'], null);
    const selection = select(selector, {
      candidates,
      hardKeys: ['owner-1:resp:unknown', 'owner-1:session:s1'],
    });
    expect(chosen(selection)).toBe('b');
  });

  it('fails with sticky_account_unavailable and a retry time when the bound account is cooling down', () => {
    const selector = new AccountSelector();
    const candidates = [account('a', { status: 'rate_limited', cooldownUntil: NOW + 90_000 }), account('b')];
    selector.remember('a', ['owner-1:turn:t1'], null);
    const failed = failure(select(selector, { candidates, hardKeys: ['owner-1:turn:t1'] }));
    expect(failed.code).toBe('sticky_account_unavailable');
    expect(failed).toMatchObject({ retryAfterSeconds: 90 });
    expect(failed.message).toMatch(/cooling down until/);
  });

  it.each([
    ['paused', { status: 'paused' as const }, /paused/],
    ['deactivated', { status: 'deactivated' as const }, /deactivated/],
    ['backing off', { backoffUntil: NOW + 5_000 }, /backing off until/],
  ])('fails with sticky_account_unavailable when the bound account is %s', (_name, change, message) => {
    const selector = new AccountSelector();
    selector.remember('a', ['owner-1:resp:r1'], null);
    const failed = failure(
      select(selector, { candidates: [account('a', change), account('b')], hardKeys: ['owner-1:resp:r1'] }),
    );
    expect(failed.code).toBe('sticky_account_unavailable');
    expect(failed.message).toMatch(message);
  });

  it('fails rather than switching when the bound account was removed or already tried', () => {
    const selector = new AccountSelector();
    selector.remember('gone', ['owner-1:resp:r1'], null);
    const removed = failure(select(selector, { candidates: [account('b')], hardKeys: ['owner-1:resp:r1'] }));
    expect(removed.code).toBe('sticky_account_unavailable');
    expect(removed.message).toMatch(/removed/);
    expect(removed).not.toHaveProperty('retryAfterSeconds');

    selector.remember('a', ['owner-1:resp:r2'], null);
    const tried = failure(
      select(selector, {
        candidates: [account('a'), account('b')],
        hardKeys: ['owner-1:resp:r2'],
        exclude: new Set(['a']),
      }),
    );
    expect(tried.code).toBe('sticky_account_unavailable');
  });
});

describe('AccountSelector: soft stickiness (prompt_cache_key)', () => {
  it('keeps a cache key on its account while it has room', () => {
    const selector = new AccountSelector();
    const candidates = [account('a', { primaryUsed: 85, secondaryUsed: 85 }), account('b')];
    selector.remember('a', [], 'owner-1:pck:k1');
    for (let i = 0; i < 50; i++) {
      const selection = select(selector, { candidates, softKey: 'owner-1:pck:k1', random: seeded(i) });
      expect(selection).toEqual({ account: candidates[0], sticky: 'soft' });
    }
  });

  it.each([
    ['the 5-hour window', { primaryUsed: 90 }],
    ['the weekly window', { secondaryUsed: 95 }],
  ])('lets the key move when its account nears the limit of %s', (_name, change) => {
    const selector = new AccountSelector();
    const candidates = [account('a', change), account('b')];
    selector.remember('a', [], 'owner-1:pck:k1');
    const selection = select(selector, { candidates, softKey: 'owner-1:pck:k1', random: () => 0.999 });
    expect(selection).toEqual({ account: candidates[1], sticky: null });
  });

  it('moves the key, without failing, when its account cannot serve or was tried', () => {
    const selector = new AccountSelector();
    selector.remember('a', [], 'owner-1:pck:k1');
    const cooling = [account('a', { status: 'rate_limited', cooldownUntil: NOW + 1 }), account('b')];
    expect(chosen(select(selector, { candidates: cooling, softKey: 'owner-1:pck:k1' }))).toBe('b');
    const fresh = [account('a'), account('b')];
    expect(chosen(select(selector, { candidates: fresh, softKey: 'owner-1:pck:k1', exclude: new Set(['a']) }))).toBe(
      'b',
    );
  });
});

describe('AccountSelector: failures', () => {
  it('answers no_accounts when the key has no account at all', () => {
    const failed = failure(select(new AccountSelector(), { candidates: [] }));
    expect(failed.code).toBe('no_accounts');
    expect(failed).not.toHaveProperty('retryAfterSeconds');
  });

  it('answers no_accounts naming the states when only the owner can make an account usable', () => {
    const failed = failure(
      select(new AccountSelector(), {
        candidates: [account('a', { status: 'paused' }), account('b', { status: 'reauth_required' })],
      }),
    );
    expect(failed.code).toBe('no_accounts');
    expect(failed.message).toMatch(/paused, reauth_required/);
  });

  it('answers all_accounts_rate_limited with the earliest time any account may serve again', () => {
    const failed = failure(
      select(new AccountSelector(), {
        candidates: [
          account('a', { status: 'rate_limited', cooldownUntil: NOW + 600_000 }),
          account('b', { status: 'quota_exceeded', cooldownUntil: NOW + 60_500 }),
          account('c', { status: 'paused' }),
        ],
      }),
    );
    expect(failed).toMatchObject({ code: 'all_accounts_rate_limited', retryAfterSeconds: 61 });
    expect(failed.message).toContain(new Date(NOW + 60_500).toISOString());
  });

  it('counts a backoff as a (short) wait, never less than a second', () => {
    const failed = failure(select(new AccountSelector(), { candidates: [account('a', { backoffUntil: NOW + 200 })] }));
    expect(failed).toMatchObject({ code: 'all_accounts_rate_limited', retryAfterSeconds: 1 });
  });

  it('answers no_accounts when every usable account was already tried', () => {
    const failed = failure(
      select(new AccountSelector(), { candidates: [account('a'), account('b')], exclude: new Set(['a', 'b']) }),
    );
    expect(failed.code).toBe('no_accounts');
    expect(failed.message).toMatch(/already tried/);
  });
});

describe('AccountSelector: sticky keys from clients are bounded', () => {
  it('stores a long key as a short digest and a short key as itself', () => {
    const short = 'owner-1:session:0b9c6a1e-2f43-4d8e-9a57-3f1d2c4b5a69';
    expect(stickyKey(short)).toBe(short);
    const long = `owner-1:turn:${'x'.repeat(100_000)}`;
    expect(stickyKey(long).length).toBeLessThanOrEqual(23);
    expect(stickyKey(long)).toBe(stickyKey(long));
    expect(stickyKey(long)).not.toBe(stickyKey(`${long}y`));
    expect(stickyKey('x'.repeat(STICKY_KEY_MAX_CHARS))).toHaveLength(STICKY_KEY_MAX_CHARS);
    expect(stickyKey('x'.repeat(STICKY_KEY_MAX_CHARS + 1)).length).toBeLessThanOrEqual(23);
  });

  it('keeps a digest from ever equalling a key stored as is', () => {
    const long = 'k'.repeat(200);
    const digest = stickyKey(long);
    expect(stickyKey(digest)).not.toBe(digest);
  });

  it('binds and finds conversations by long keys', () => {
    const selector = new AccountSelector();
    const candidates = [account('a'), account('b')];
    const turn = `owner-1:turn:${'t'.repeat(50_000)}`;
    const cache = `owner-1:pck:${'c'.repeat(50_000)}`;
    selector.remember('b', [turn], cache);
    expect(select(selector, { candidates, hardKeys: [turn] })).toEqual({ account: candidates[1], sticky: 'hard' });
    expect(select(selector, { candidates, softKey: cache })).toEqual({ account: candidates[1], sticky: 'soft' });
    const other = `owner-1:turn:${'t'.repeat(49_999)}u`;
    expect(select(selector, { candidates, hardKeys: [other], random: () => 0 })).toEqual({
      account: candidates[0],
      sticky: null,
    });
  });

  it('holds no more entries than its bounds however many keys arrive', () => {
    const selector = new AccountSelector({ hardMaxEntries: 100, softMaxEntries: 50 });
    for (let i = 0; i < 5_000; i++) selector.remember('a', [`owner-1:resp:${i}:${'r'.repeat(i % 300)}`], `pck-${i}`);
    expect(selector.hard.size).toBeLessThanOrEqual(100);
    expect(selector.soft.size).toBeLessThanOrEqual(50);
    // The newest bindings survive.
    const candidates = [account('a'), account('b')];
    expect(select(selector, { candidates, hardKeys: [`owner-1:resp:4999:${'r'.repeat(4999 % 300)}`] })).toMatchObject({
      sticky: 'hard',
    });
  });

  it('keeps turn-state bindings in their own short-lived map, ahead of the session binding', () => {
    const selector = new AccountSelector({ turnMaxEntries: 10 });
    const candidates = [account('a'), account('b')];
    const turn = turnBindingKey('owner-1', `turn-${'x'.repeat(200)}`);
    selector.remember('a', [turn], null);
    selector.remember('b', ['owner-1:session:s1'], null);
    expect(selector.turns.size).toBe(1);
    expect(selector.hard.size).toBe(1);
    // The turn's account wins while the turn lasts; the session's afterwards.
    expect(chosen(select(selector, { candidates, hardKeys: [turn, 'owner-1:session:s1'] }))).toBe('a');
    const later = Date.now() + 2 * TURN_STICKY_MIN_MS + 1;
    expect(chosen(select(selector, { candidates, hardKeys: [turn, 'owner-1:session:s1'], now: later }))).toBe('b');
    // Bounded on its own: 100 new turns leave the conversation bindings alone.
    for (let i = 0; i < 100; i++) selector.remember('a', [turnBindingKey('owner-1', `t${i}`)], null);
    expect(selector.turns.size).toBeLessThanOrEqual(10);
    expect(selector.hard.size).toBe(1);
    // Another owner's turn state of the same text is another binding.
    expect(turnBindingKey('owner-2', 't1')).not.toBe(turnBindingKey('owner-1', 't1'));
  });
});
