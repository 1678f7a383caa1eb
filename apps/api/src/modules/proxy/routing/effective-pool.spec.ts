// The pool rule on plain data: own ∪ (groups where the owner is member/owner: owned ∪ shared)
// ∩ allowlist, with the explainer agreeing with the router account by account.
import type { GroupRole } from '@codex-lb/shared';
import type { GroupView } from '../../groups/group-index';
import type { PooledAccount } from './account-pool';
import { effectivePool, explainPool, type AccountSource, type PoolKey } from './effective-pool';
import { isUsable } from './account-selector';

const NOW = 1_700_000_000_000;

function account(id: string, ownerUserId: string | null, change: Partial<PooledAccount> = {}): PooledAccount {
  return {
    id,
    ownerUserId,
    chatgptAccountId: id,
    email: `${id}@example.com`,
    status: 'active',
    statusReason: null,
    cooldownUntil: 0,
    backoffUntil: 0,
    primaryUsed: 0,
    secondaryUsed: 0,
    primaryResetsAt: null,
    secondaryResetsAt: null,
    accessToken: 'token',
    tokenExpiresAt: null,
    quotaObservedAt: 0,
    ...change,
  };
}

function world(
  accounts: PooledAccount[],
  roles: Record<string, Record<string, GroupRole>>,
  owned: Record<string, string[]>,
  shared: Record<string, string[]>,
) {
  const source: AccountSource = {
    forOwner: (userId) => accounts.filter((a) => a.ownerUserId === userId),
    get: (id) => accounts.find((a) => a.id === id),
  };
  const groups: GroupView = {
    roleOf: (groupId, principalId) => roles[groupId]?.[principalId],
    ownedBy: (groupId) => new Set(owned[groupId] ?? []),
    sharedInto: (groupId) => new Set(shared[groupId] ?? []),
    groupOwnerOf: (accountId) => Object.keys(owned).find((g) => owned[g].includes(accountId)),
  };
  return { source, groups };
}

const accounts = [
  account('own', 'u'),
  account('own-paused', 'u', { status: 'paused' }),
  account('g-owned', null),
  account('h-owned', null),
  account('shared-by-v', 'v'),
  account('v-private', 'v'),
  // Moved into group g, but the pool has not reloaded it yet.
  account('moved', 'u'),
];
const { source, groups } = world(
  accounts,
  { g: { u: 'member', v: 'owner' }, h: { u: 'viewer' } },
  { g: ['g-owned', 'moved'], h: ['h-owned'] },
  { g: ['shared-by-v'], h: [] },
);
const ids = (key: PoolKey) =>
  effectivePool(key, source, groups)
    .map((a) => a.id)
    .sort();

describe('effectivePool', () => {
  it('is the owner’s own accounts for a key without groups (an account moved into a group is not own)', () => {
    expect(ids({ ownerUserId: 'u', groupIds: [], accountIds: null })).toEqual(['own', 'own-paused']);
  });

  it('adds owned and shared accounts of attached groups where the owner is member or owner', () => {
    expect(ids({ ownerUserId: 'u', groupIds: ['g'], accountIds: null })).toEqual(
      ['g-owned', 'moved', 'own', 'own-paused', 'shared-by-v'].sort(),
    );
  });

  it('adds nothing for a group where the owner is only a viewer, or not a member, or not attached', () => {
    expect(ids({ ownerUserId: 'u', groupIds: ['h'], accountIds: null })).toEqual(['own', 'own-paused']);
    expect(ids({ ownerUserId: 'x', groupIds: ['g'], accountIds: null })).toEqual([]);
    expect(ids({ ownerUserId: 'v', groupIds: [], accountIds: null })).toEqual(['shared-by-v', 'v-private']);
  });

  it('intersects with the allowlist', () => {
    expect(ids({ ownerUserId: 'u', groupIds: ['g'], accountIds: ['g-owned', 'v-private'] })).toEqual(['g-owned']);
    expect(ids({ ownerUserId: 'u', groupIds: [], accountIds: [] })).toEqual([]);
  });
});

describe('explainPool', () => {
  const keys: PoolKey[] = [
    { ownerUserId: 'u', groupIds: ['g', 'h'], accountIds: null },
    { ownerUserId: 'u', groupIds: ['g'], accountIds: ['own', 'shared-by-v'] },
    { ownerUserId: 'v', groupIds: ['g'], accountIds: null },
    { ownerUserId: 'x', groupIds: ['g', 'h'], accountIds: null },
  ];

  it('calls usable exactly what the router may pick', () => {
    for (const key of keys) {
      const usable = explainPool(key, source, groups, NOW)
        .filter((e) => e.usable)
        .map((e) => e.accountId)
        .sort();
      const routable = effectivePool(key, source, groups)
        .filter((a) => isUsable(a, NOW))
        .map((a) => a.id)
        .sort();
      expect(usable).toEqual(routable);
    }
  });

  it('says how each account reaches the key, or why it does not serve', () => {
    const explained = explainPool(keys[0], source, groups, NOW);
    const by = (id: string) => explained.find((e) => e.accountId === id);
    expect(by('own')).toMatchObject({ usable: true, via: 'own' });
    expect(by('own-paused')).toMatchObject({ usable: false, via: 'own', reason: 'paused by its owner' });
    expect(by('g-owned')).toMatchObject({ usable: true, via: 'group:g owns it' });
    expect(by('shared-by-v')).toMatchObject({ usable: true, via: 'shared into group:g' });
    expect(by('h-owned')).toMatchObject({
      usable: false,
      via: null,
      reason: expect.stringMatching(/only a viewer of group:h/),
    });
    const pinned = explainPool(keys[1], source, groups, NOW);
    expect(pinned.find((e) => e.accountId === 'g-owned')).toMatchObject({
      usable: false,
      reason: expect.stringMatching(/allowlist/),
    });
    const outsider = explainPool(keys[3], source, groups, NOW);
    expect(outsider.every((e) => !e.usable && /not a member|only a viewer/.test(e.reason ?? ''))).toBe(true);
  });
});
