import {
  accountOwner,
  attachableGroups,
  describeReason,
  describeVia,
  groupAbilities,
  groupPool,
  impactLines,
  isLastOwner,
  personalAccounts,
  slugFromName,
  validateGroupDraft,
} from '@/components/groups/group-access';
import { apiKeyAccessSummary, keyAccessDraftFrom, scopesFromDraft } from '@/components/api-keys/key-access';
import {
  groupsForServiceAccounts,
  validateServiceAccountDraft,
} from '@/components/service-accounts/service-account-form';
import type { GroupDto } from '@codex-lb/shared';
import { sessionFor } from './support/render';

describe('groupAbilities', () => {
  it('lets group owners and admins manage, and only owners and members attach keys', () => {
    const user = sessionFor('user');
    expect(groupAbilities(user, 'owner')).toEqual({ manageMembers: true, managePool: true, attachKeys: true });
    expect(groupAbilities(user, 'member')).toEqual({ manageMembers: false, managePool: false, attachKeys: true });
    expect(groupAbilities(user, 'viewer')).toEqual({ manageMembers: false, managePool: false, attachKeys: false });
    expect(groupAbilities(sessionFor('admin'), null)).toEqual({
      manageMembers: true,
      managePool: true,
      attachKeys: false,
    });
  });

  it('offers nothing to change without groups:write', () => {
    const readOnly = { ...sessionFor('user'), permissions: ['groups:read' as const] };
    expect(groupAbilities(readOnly, 'owner').manageMembers).toBe(false);
  });
});

describe('membership rules', () => {
  const members = [
    { principalId: 'a', role: 'owner' as const },
    { principalId: 'b', role: 'member' as const },
  ];
  it('keeps the last owner', () => {
    expect(isLastOwner(members, 'a')).toBe(true);
    expect(isLastOwner(members, 'b')).toBe(false);
    expect(isLastOwner([...members, { principalId: 'c', role: 'owner' }], 'a')).toBe(false);
  });

  it('attaches keys only to groups the caller routes through', () => {
    const groups = [
      { myRole: 'owner' as const },
      { myRole: 'viewer' as const },
      { myRole: null },
      { myRole: 'member' as const },
    ];
    expect(attachableGroups(groups)).toEqual([groups[0], groups[3]]);
  });
});

describe('group drafts', () => {
  it('proposes a slug from the name', () => {
    expect(slugFromName('Platform Team')).toBe('platform-team');
    expect(slugFromName('  Équipe  Données!! ')).toBe('equipe-donnees');
    expect(slugFromName('x'.repeat(80))).toHaveLength(64);
  });

  it('checks name and slug before sending', () => {
    expect(validateGroupDraft({ name: 'Team', slug: 'team' })).toEqual({});
    const errors = validateGroupDraft({ name: ' ', slug: '-bad-' });
    expect(errors.name).toMatch(/Give the group a name/);
    expect(errors.slug).toMatch(/lower-case letters/);
  });
});

describe('the effective-pool explainer in words', () => {
  const names = new Map([['g1', 'Platform']]);
  it('says through what an account reaches a key', () => {
    expect(describeVia('own', names)).toBe('The key owner’s own account');
    expect(describeVia('group:g1 owns it', names)).toBe('Owned by the group Platform');
    expect(describeVia('shared into group:g1', names)).toBe('Shared into the group Platform');
    expect(describeVia('shared into group:gX', names)).toBe('Shared into the group a group you cannot see');
    expect(describeVia(null, names)).toBe('Not in this key’s pool');
  });

  it('says why an account is not used, and keeps unknown reasons readable', () => {
    expect(describeReason('paused')).toBe('Paused by its owner');
    expect(describeReason('not_in_allowlist')).toBe('Not in the key’s account list');
    expect(describeReason('some_new_reason')).toBe('Some new reason');
    expect(describeReason(null)).toBe('');
    expect(describeReason('the key’s owner is only a viewer of group:g1', names)).toBe(
      'The key’s owner is only a viewer of the group Platform',
    );
  });
});

describe('impactLines', () => {
  it('lists each key that loses accounts, by name', () => {
    const lines = impactLines(
      {
        groupId: 'g1',
        removeMember: 'u2',
        keys: [
          { apiKeyId: 'k1', apiKeyName: 'ci', ownerUserId: 'u2', lostAccountIds: ['a1', 'a9'] },
          { apiKeyId: 'k2', apiKeyName: 'idle', ownerUserId: 'u2', lostAccountIds: [] },
        ],
      },
      new Map([['a1', 'team@example.test']]),
    );
    expect(lines).toEqual([{ apiKeyId: 'k1', keyName: 'ci', accounts: ['team@example.test', 'account a9'] }]);
    expect(impactLines(undefined, new Map())).toEqual([]);
  });
});

describe('the pool', () => {
  const accounts = [
    { id: 'own', ownerUserId: 'me', ownerType: 'user' as const, ownerId: 'me', sharedWith: [] },
    { id: 'shared', ownerUserId: 'me', ownerType: 'user' as const, ownerId: 'me', sharedWith: ['g1'] },
    { id: 'group', ownerUserId: null, ownerType: 'group' as const, ownerId: 'g1', sharedWith: [] },
    { id: 'other', ownerUserId: 'bob', sharedWith: ['g1'] },
    { id: 'legacy', ownerUserId: 'me' },
  ];
  it('splits what the group owns from what was shared into it', () => {
    const pool = groupPool(accounts, 'g1');
    expect(pool.owned.map((a) => a.id)).toEqual(['group']);
    expect(pool.shared.map((a) => a.id)).toEqual(['shared', 'other']);
  });

  it('knows personal accounts, including ones from before groups', () => {
    expect(personalAccounts(accounts, 'me').map((a) => a.id)).toEqual(['own', 'shared', 'legacy']);
    expect(accountOwner(accounts[2])).toEqual({ type: 'group', id: 'g1' });
  });
});

describe('key access', () => {
  it('turns the draft into scopes and refuses an empty set', () => {
    expect(scopesFromDraft({ groupIds: [], proxy: true, management: ['usage:read'] })).toEqual({
      ok: true,
      scopes: ['proxy', 'usage:read'],
    });
    expect(scopesFromDraft({ groupIds: [], proxy: false, management: [] }).ok).toBe(false);
  });

  it('reads a key back into the draft and summarises it', () => {
    const key = { groupIds: ['g1'], scopes: ['usage:read'] };
    expect(keyAccessDraftFrom(key)).toEqual({ groupIds: ['g1'], proxy: false, management: ['usage:read'] });
    expect(keyAccessDraftFrom({})).toEqual({ groupIds: [], proxy: true, management: [] });
    expect(apiKeyAccessSummary(key, new Map([['g1', 'Platform']]))).toBe('Own accounts + Platform · usage:read');
  });
});

describe('service account form', () => {
  const groups = [
    { id: 'g1', myRole: 'owner' },
    { id: 'g2', myRole: 'member' },
  ] as GroupDto[];
  it('offers owned groups, or every group to an admin', () => {
    expect(groupsForServiceAccounts(groups, false).map((g) => g.id)).toEqual(['g1']);
    expect(groupsForServiceAccounts(groups, true)).toHaveLength(2);
  });

  it('checks the name and the group', () => {
    expect(validateServiceAccountDraft({ name: 'ci-deploy', groupId: 'g1' })).toEqual({});
    const errors = validateServiceAccountDraft({ name: 'a b', groupId: '' });
    expect(errors.name).toMatch(/letters, digits/);
    expect(errors.groupId).toMatch(/Choose the group/);
  });
});
