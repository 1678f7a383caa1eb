// What the dashboard and the API agree on for groups: a group, its members and their group roles,
// the effective-pool explainer of a key, and the impact preview of removing a member.

/**
 * A member's role in one group.
 * - owner: manages membership and the group's pool; the group's accounts serve their keys.
 * - member: the group's pool serves their keys attached to the group.
 * - viewer: sees the group's accounts, keys and usage; never routes through the group.
 */
export const GROUP_ROLES = ['owner', 'member', 'viewer'] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

/** The group roles whose keys (attached to the group) draw on the group's pool. */
export const ROUTING_GROUP_ROLES: readonly GroupRole[] = ['owner', 'member'];

export const GROUP_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export interface GroupDto {
  id: string;
  slug: string;
  name: string;
  /** The caller's own role in the group; null for an admin who is not a member. */
  myRole: GroupRole | null;
  memberCount: number;
  /** Accounts the group owns. */
  ownedAccountCount: number;
  /** Accounts their owners shared into the group. */
  sharedAccountCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface GroupMemberDto {
  groupId: string;
  principalId: string;
  username: string;
  /** 'human' or 'service' (a service account of the group). */
  kind: 'human' | 'service';
  role: GroupRole;
  createdAt: string;
}

export interface CreateGroupRequest {
  slug: string;
  name: string;
}

export interface UpdateGroupRequest {
  slug?: string;
  name?: string;
}

export interface PutGroupMemberRequest {
  role: GroupRole;
}

/**
 * Why a key may use an account, or why not. `via` says how the account reaches the key's pool:
 * 'own', 'group:<id> owns it', 'shared into group:<id>'; null when it does not reach it at all.
 */
export interface EffectiveAccountDto {
  accountId: string;
  /** Label of the account (alias, else email), for display. */
  label: string | null;
  usable: boolean;
  via: string | null;
  /** Why it is not usable (null when usable). */
  reason: string | null;
}

export interface EffectiveAccountsResponse {
  items: EffectiveAccountDto[];
}

/** One key that would lose accounts if the member were removed. */
export interface ImpactKeyDto {
  apiKeyId: string;
  apiKeyName: string;
  ownerUserId: string;
  lostAccountIds: string[];
}

export interface ImpactDto {
  groupId: string;
  removeMember: string;
  keys: ImpactKeyDto[];
}

export interface ShareAccountResponse {
  accountId: string;
  groupId: string;
  shared: boolean;
}

/** PATCH /api/accounts/:id/owner: exactly one of the two. */
export interface MoveAccountOwnerRequest {
  groupId?: string;
  userId?: string;
}
