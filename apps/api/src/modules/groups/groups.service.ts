// The rules for groups: an admin manages every group, a user sees only the groups they belong to
// (another group is a 404) and changes one only as its owner (403 otherwise); a group always
// keeps an owner; a group that still owns accounts cannot be deleted, and deleting one disables
// its service accounts (their keys are refused from the next request on). Every change reloads the
// group in the in-memory index before answering, so routing follows it on the next request.
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { GroupDto, GroupMemberDto, GroupRole, ImpactDto } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { DomainEvents } from '../../common/events';
import { ownerScopeFor } from '../../common/owner-scope';
import type { Principal } from '../../common/principal';
import { AuditService, changedFields } from '../audit/audit.service';
import { AccountPool } from '../proxy/routing/account-pool';
import { effectivePool } from '../proxy/routing/effective-pool';
import { disableServiceAccountsOfGroup } from '../service-accounts/service-accounts.repository';
import type { CreateGroupDto, UpdateGroupDto } from './dto/group.dto';
import { GroupIndex, type GroupView } from './group-index';
import { toGroupDto, toGroupMemberDto } from './groups.mapper';
import { GroupsRepository, type GroupRow } from './groups.repository';

@Injectable()
export class GroupsService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly index: GroupIndex,
    private readonly modules: ModuleRef,
    private readonly events: DomainEvents,
    private readonly audit: AuditService,
  ) {}

  async list(principal: Principal): Promise<{ items: GroupDto[] }> {
    const rows = await this.groups.list(ownerScopeFor(principal), principal.userId);
    return { items: rows.map(toGroupDto) };
  }

  async get(principal: Principal, id: string): Promise<GroupDto> {
    return toGroupDto(await this.requireVisible(principal, id));
  }

  async create(principal: Principal, dto: CreateGroupDto): Promise<GroupDto> {
    const id = await this.groups.transaction(async (manager) => {
      const slug = dto.slug.toLowerCase();
      const created = await this.groups.create(slug, dto.name, principal.userId, manager);
      if (created) {
        await this.audit.record(manager, {
          action: 'group.create',
          target: { type: 'group', id: created, label: dto.name },
          changes: { after: { slug, name: dto.name } },
        });
      }
      return created;
    });
    if (!id) throw ApiError.conflict('group_slug_taken', `A group with the slug "${dto.slug}" exists already.`);
    await this.index.reload(id);
    return this.get(principal, id);
  }

  async update(principal: Principal, id: string, dto: UpdateGroupDto): Promise<GroupDto> {
    const before = await this.requireOwner(principal, id);
    const ok = await this.groups.transaction(async (manager) => {
      const patch = { slug: dto.slug?.toLowerCase(), name: dto.name };
      if (!(await this.groups.update(id, patch, manager))) return false;
      await this.audit.record(manager, {
        action: 'group.update',
        target: { type: 'group', id, label: dto.name ?? before.name },
        changes: changedFields({ slug: before.slug, name: before.name }, patch),
      });
      return true;
    });
    if (!ok) throw ApiError.conflict('group_slug_taken', `A group with the slug "${dto.slug}" exists already.`);
    return this.get(principal, id);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const group = await this.requireOwner(principal, id);
    const disabled = await this.groups.transaction(async (manager) => {
      await this.groups.lock(id, manager);
      const owned = await this.groups.ownedAccountCount(id, manager);
      if (owned > 0) {
        throw ApiError.conflict(
          'group_has_accounts',
          `This group still owns ${owned} account(s). Move them to a user or another group first ` +
            `(PATCH /api/accounts/:id/owner), then delete the group.`,
        );
      }
      // In the same transaction: the group never goes while one of its service accounts stays usable.
      const serviceAccountIds = await disableServiceAccountsOfGroup(manager, id);
      await this.groups.delete(id, manager);
      await this.audit.record(manager, {
        action: 'group.delete',
        target: { type: 'group', id, label: group.name },
        changes: {
          before: { slug: group.slug, name: group.name, memberCount: group.memberCount },
          after: { disabledServiceAccountIds: serviceAccountIds },
        },
      });
      return serviceAccountIds;
    });
    // After the commit, before the answer: the key cache drops their keys, so the next request
    // with one is refused.
    for (const userId of disabled) this.events.emit('user.changed', { userId });
    await this.index.reload(id);
  }

  async members(principal: Principal, id: string): Promise<{ items: GroupMemberDto[] }> {
    await this.requireVisible(principal, id);
    return { items: (await this.groups.members(id)).map(toGroupMemberDto) };
  }

  /** Adds a member or changes their role (group owners and admins). */
  async putMember(principal: Principal, id: string, principalId: string, role: GroupRole): Promise<GroupMemberDto> {
    const group = await this.requireOwner(principal, id);
    await this.groups.transaction(async (manager) => {
      await this.groups.lock(id, manager);
      if (!(await this.groups.principalExists(principalId, manager))) throw ApiError.notFound('Principal');
      const current = await this.groups.roleOf(id, principalId, manager);
      if (current === 'owner' && role !== 'owner') await this.keepAnOwner(id, manager);
      await this.groups.putMember(id, principalId, role, manager);
      await this.audit.record(manager, {
        action: current === null ? 'group.member_add' : 'group.member_update',
        target: { type: 'group', id, label: group.name },
        changes: {
          before: current === null ? undefined : { principalId, role: current },
          after: { principalId, role },
        },
      });
    });
    await this.index.reload(id);
    const member = (await this.groups.members(id)).find((m) => m.principalId === principalId)!;
    return toGroupMemberDto(member);
  }

  /** Removes a member (group owners and admins; anyone may leave). Their shares into it go too. */
  async removeMember(principal: Principal, id: string, principalId: string): Promise<void> {
    const group =
      principalId === principal.userId
        ? await this.requireVisible(principal, id)
        : await this.requireOwner(principal, id);
    await this.groups.transaction(async (manager) => {
      await this.groups.lock(id, manager);
      const current = await this.groups.roleOf(id, principalId, manager);
      if (current === null) throw ApiError.notFound('Member');
      if (current === 'owner') await this.keepAnOwner(id, manager);
      await this.groups.removeMember(id, principalId, manager);
      await this.audit.record(manager, {
        action: 'group.member_remove',
        target: { type: 'group', id, label: group.name },
        changes: { before: { principalId, role: current } },
      });
    });
    // Awaited: the removed member's next request must not reach the group's accounts.
    await this.index.reload(id);
  }

  /** Which keys would lose which accounts if this member left the group (nothing changes). */
  async impact(principal: Principal, id: string, removeMember: string): Promise<ImpactDto> {
    await this.requireOwner(principal, id);
    const withdrawn = new Set(await this.groups.sharesBy(id, removeMember));
    const live = this.index;
    const after: GroupView = {
      roleOf: (groupId, principalId) =>
        groupId === id && principalId === removeMember ? undefined : live.roleOf(groupId, principalId),
      ownedBy: (groupId) => live.ownedBy(groupId),
      sharedInto: (groupId) =>
        groupId === id
          ? new Set([...live.sharedInto(groupId)].filter((a) => !withdrawn.has(a)))
          : live.sharedInto(groupId),
      groupOwnerOf: (accountId) => live.groupOwnerOf(accountId),
    };
    const pool = this.modules.get(AccountPool, { strict: false });
    const keys = [];
    for (const key of await this.groups.attachedKeys(id)) {
      const kept = new Set(effectivePool(key, pool, after).map((a) => a.id));
      const lost = effectivePool(key, pool, live)
        .map((a) => a.id)
        .filter((accountId) => !kept.has(accountId));
      if (lost.length > 0) {
        keys.push({ apiKeyId: key.id, apiKeyName: key.name, ownerUserId: key.ownerUserId, lostAccountIds: lost });
      }
    }
    return { groupId: id, removeMember, keys };
  }

  private async keepAnOwner(id: string, manager: Parameters<GroupsRepository['ownerCount']>[1]): Promise<void> {
    if ((await this.groups.ownerCount(id, manager)) <= 1) {
      throw ApiError.conflict(
        'last_group_owner',
        'A group must keep at least one owner. Make someone else owner first.',
      );
    }
  }

  /** A group the caller may see: an admin any, a user one they belong to; others are 404. */
  private async requireVisible(principal: Principal, id: string): Promise<GroupRow> {
    const row = await this.groups.find(ownerScopeFor(principal), id, principal.userId);
    if (!row) throw ApiError.notFound('Group');
    return row;
  }

  /** A group the caller may change: admins, and the group's owners (members and viewers get 403). */
  private async requireOwner(principal: Principal, id: string): Promise<GroupRow> {
    const row = await this.requireVisible(principal, id);
    if (!principal.permissions.has('owners:all') && row.myRole !== 'owner') {
      throw ApiError.forbidden('Only an owner of this group can do this.');
    }
    return row;
  }
}
