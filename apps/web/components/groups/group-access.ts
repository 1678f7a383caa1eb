// What the dashboard may offer for one group, and the plain words for the API's group answers
// (the effective-pool explainer, the impact preview). The API enforces; this only decides what
// to show, from the session's permissions and the caller's role in the group.
import { GROUP_SLUG_PATTERN, type AuthenticatedSession, type GroupRole, type ImpactDto } from '@codex-lb/shared';

export interface GroupAbilities {
  /** Add members, change roles, remove members, rename or delete the group. */
  manageMembers: boolean;
  /** Share accounts into it and manage its service accounts. */
  managePool: boolean;
  /** Attach keys: the group's pool serves keys of owners and members only. */
  attachKeys: boolean;
}

export const GROUP_ROLE_LABELS: Record<GroupRole, string> = { owner: 'Owner', member: 'Member', viewer: 'Viewer' };

export const GROUP_ROLE_HINTS: Record<GroupRole, string> = {
  owner: 'Manages members and the pool; the pool serves their keys.',
  member: 'The pool serves their keys attached to the group.',
  viewer: 'Sees accounts, keys and usage; cannot route through the group.',
};

type SessionLike = Pick<AuthenticatedSession, 'permissions'> & { user: Pick<AuthenticatedSession['user'], 'role'> };

/** owners:all manages every group; everyone else by their role in it (null: not a member). */
export function groupAbilities(session: SessionLike, myRole: GroupRole | null | undefined): GroupAbilities {
  const writes = session.permissions.includes('groups:write');
  const admin = session.permissions.includes('owners:all');
  const owner = myRole === 'owner';
  return {
    manageMembers: writes && (admin || owner),
    managePool: writes && (admin || owner),
    attachKeys: myRole === 'owner' || myRole === 'member',
  };
}

/** Groups whose pool a key may draw on: the caller is an owner or member there. */
export function attachableGroups<T extends { myRole: GroupRole | null }>(groups: readonly T[]): T[] {
  return groups.filter((group) => group.myRole === 'owner' || group.myRole === 'member');
}

/** A group always keeps one owner: the last one cannot be demoted or removed. */
export function isLastOwner(members: ReadonlyArray<{ principalId: string; role: GroupRole }>, principalId: string) {
  const owners = members.filter((member) => member.role === 'owner');
  return owners.length === 1 && owners[0].principalId === principalId;
}

/** A slug proposed from a name: lower case, dashes for everything else, at most 64 characters. */
export function slugFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/g, '');
}

export function validateGroupDraft(draft: { name: string; slug: string }): { name?: string; slug?: string } {
  const errors: { name?: string; slug?: string } = {};
  const name = draft.name.trim();
  if (!name) errors.name = 'Give the group a name, such as the team that shares the accounts.';
  else if (name.length > 100) errors.name = 'Use at most 100 characters.';
  const slug = draft.slug.trim();
  if (!slug) errors.slug = 'Choose a short identifier, such as platform-team.';
  else if (!GROUP_SLUG_PATTERN.test(slug))
    errors.slug = 'Use lower-case letters, digits and dashes (not at the start or end), at most 64.';
  return errors;
}

type GroupNames = ReadonlyMap<string, string>;

const groupName = (names: GroupNames, id: string) => names.get(id) ?? 'a group you cannot see';

/**
 * The API's `via` in words: 'own', 'group:<id> owns it', 'shared into group:<id>', or null
 * when the account does not reach the key's pool at all.
 */
export function describeVia(via: string | null | undefined, names: GroupNames): string {
  if (!via) return 'Not in this key’s pool';
  if (via === 'own') return 'The key owner’s own account';
  const id = /group:([^\s]+)/.exec(via)?.[1];
  if (id && /owns it/.test(via)) return `Owned by the group ${groupName(names, id)}`;
  if (id && /^shared/.test(via)) return `Shared into the group ${groupName(names, id)}`;
  return via;
}

const REASONS: Record<string, string> = {
  paused: 'Paused by its owner',
  rate_limited: 'Cooling down after a rate limit',
  cooling_down: 'Cooling down after a rate limit',
  cooldown: 'Cooling down after a rate limit',
  quota_exceeded: 'Its quota is used up until the window resets',
  reauth_required: 'Needs its owner to sign it in again',
  deactivated: 'Refused by ChatGPT (deactivated)',
  not_in_allowlist: 'Not in the key’s account list',
  not_allowed: 'Not in the key’s account list',
  not_a_member: 'The key owner is no longer a member of the group',
  viewer: 'The key owner is only a viewer of the group',
  group_not_attached: 'The key is not attached to the group',
};

/**
 * Why an account is not usable, in words. The API answers sentences that may name a group as
 * `group:<id>`; those read with the group's name. Bare codes are mapped or made readable.
 */
export function describeReason(reason: string | null | undefined, names: GroupNames = new Map()): string {
  if (!reason) return '';
  if (REASONS[reason]) return REASONS[reason];
  const text = /\s/.test(reason) ? reason : reason.replace(/_+/g, ' ');
  const named = text.replace(/group:([0-9a-zA-Z-]+)/g, (_, id: string) => `the group ${groupName(names, id)}`);
  return named.replace(/^./, (c) => c.toUpperCase());
}

export interface ImpactLine {
  apiKeyId: string;
  keyName: string;
  accounts: string[];
}

/** The impact preview as lines to show: each key that loses accounts, with their names. */
export function impactLines(impact: ImpactDto | undefined, accountLabels: ReadonlyMap<string, string>): ImpactLine[] {
  return (impact?.keys ?? [])
    .filter((key) => key.lostAccountIds.length > 0)
    .map((key) => ({
      apiKeyId: key.apiKeyId,
      keyName: key.apiKeyName,
      accounts: key.lostAccountIds.map((id) => accountLabels.get(id) ?? `account ${id.slice(0, 8)}`),
    }));
}

interface PoolAccount {
  id: string;
  ownerUserId: string | null;
  ownerType?: 'user' | 'group';
  ownerId?: string;
  sharedWith?: string[];
}

/** Who owns an account: a group when the API says so, else the user it names. */
export function accountOwner(account: PoolAccount): { type: 'user' | 'group'; id: string } {
  if (account.ownerType === 'group' && account.ownerId) return { type: 'group', id: account.ownerId };
  return { type: 'user', id: account.ownerId ?? account.ownerUserId ?? '' };
}

/** A group's pool among the accounts the caller sees: the ones it owns and the ones shared into it. */
export function groupPool<T extends PoolAccount>(accounts: readonly T[], groupId: string): { owned: T[]; shared: T[] } {
  const owned = accounts.filter((account) => {
    const owner = accountOwner(account);
    return owner.type === 'group' && owner.id === groupId;
  });
  const shared = accounts.filter((account) => !owned.includes(account) && account.sharedWith?.includes(groupId));
  return { owned, shared };
}

/** Accounts the user owns personally: what they may share into a group or move into one. */
export function personalAccounts<T extends PoolAccount>(accounts: readonly T[], userId: string): T[] {
  return accounts.filter((account) => {
    const owner = accountOwner(account);
    return owner.type === 'user' && owner.id === userId;
  });
}
