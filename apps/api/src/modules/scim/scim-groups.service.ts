// SCIM Groups are codex-lb groups: the directory creates, renames and deletes them and pushes
// their membership. A member the directory adds is a `member`; one it removes leaves the group at
// once, with what they shared into it, and the in-memory GroupIndex is reloaded before the answer,
// so their next proxied request no longer reaches the group's accounts. A group created by the
// directory has no owner until an admin names one; admins manage every group anyway. A group that
// still owns accounts is not deleted (409), as in the dashboard.
// Every change writes one audit row in its transaction, with the SCIM token as the actor.
import { Injectable } from '@nestjs/common';
import { scimPatch, type ScimPatchOperation } from 'scim-patch';
import type { EntityManager } from 'typeorm';
import type { AuditAction } from '@codex-lb/shared';
import { DomainEvents } from '../../common/events';
import type { CredentialActor } from '../audit/audit.types';
import { AuditService } from '../audit/audit.service';
import { GroupIndex } from '../groups/group-index';
import { disableServiceAccountsOfGroup } from '../service-accounts/service-accounts.repository';
import { ScimError } from './scim-error';
import { filterToSql } from './scim-filter';
import {
  memberIdsOf,
  MEMBERS_MAX,
  parseGroupInput,
  parseListQuery,
  parsePatch,
  type GroupInput,
  type PatchOperation,
} from './scim-input';
import { GROUP_FILTER_ATTRIBUTES, ScimGroupsRepository, type ScimGroupRow } from './scim-groups.repository';
import {
  GROUP_SCHEMA,
  listResponse,
  toScimGroup,
  type ScimGroupResource,
  type ScimListResponse,
} from './scim-resources';
import { isUuid, patchError } from './scim-users.service';

@Injectable()
export class ScimGroupsService {
  constructor(
    private readonly groups: ScimGroupsRepository,
    private readonly index: GroupIndex,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
  ) {}

  async list(query: unknown, baseUrl: string): Promise<ScimListResponse<ScimGroupResource>> {
    const { filter, startIndex, count, withoutMembers } = parseListQuery(query);
    const where = filterToSql(filter, GROUP_FILTER_ATTRIBUTES, GROUP_SCHEMA);
    const { rows, total } = await this.groups.list(where, startIndex - 1, count);
    const members = withoutMembers ? null : await this.groups.members(rows.map((row) => row.id));
    return listResponse(
      rows.map((row) => toScimGroup(row, members ? (members.get(row.id) ?? []) : null, baseUrl)),
      total,
      startIndex,
    );
  }

  async get(id: string, baseUrl: string, withoutMembers = false): Promise<ScimGroupResource> {
    const row = await this.require(id);
    if (withoutMembers) return toScimGroup(row, null, baseUrl);
    const members = await this.groups.members([id]);
    return toScimGroup(row, members.get(id) ?? [], baseUrl);
  }

  async create(actor: CredentialActor, body: unknown, baseUrl: string): Promise<ScimGroupResource> {
    const input = parseGroupInput(body);
    const id = await this.groups.transaction(async (manager) => {
      // One group creation at a time: the free slug stays free until this one commits.
      await manager.query(`SELECT pg_advisory_xact_lock(7310019013)`);
      if (input.externalId && (await this.groups.externalIdTaken(input.externalId, null, manager))) {
        throw ScimError.conflict(`Another group has the externalId "${input.externalId}".`);
      }
      const members = await this.knownMembers(input.memberIds, manager);
      const slug = await this.groups.freeSlug(input.displayName, manager);
      const created = await this.groups.create(slug, input.displayName, input.externalId, manager);
      await this.groups.addMembers(created, members, manager);
      await this.audit.record(manager, {
        action: 'group.create',
        actor,
        target: { type: 'group', id: created, label: input.displayName },
        changes: { after: { slug, name: input.displayName, externalId: input.externalId, memberIds: members } },
      });
      return created;
    });
    await this.index.reload(id);
    return this.get(id, baseUrl);
  }

  async replace(actor: CredentialActor, id: string, body: unknown, baseUrl: string): Promise<ScimGroupResource> {
    const input = parseGroupInput(body);
    await this.apply(actor, id, () => input);
    return this.get(id, baseUrl);
  }

  async patch(actor: CredentialActor, id: string, body: unknown, baseUrl: string): Promise<ScimGroupResource> {
    const operations = parsePatch(body);
    let named = 0;
    for (const operation of operations) {
      named += Array.isArray(operation.value) ? operation.value.length : 1;
      if (named > MEMBERS_MAX) {
        throw new ScimError(400, `A PATCH may name at most ${MEMBERS_MAX} values.`, 'tooMany');
      }
    }
    await this.apply(actor, id, (current, memberIds) => {
      const resource = {
        schemas: [GROUP_SCHEMA],
        id,
        displayName: current.name,
        ...(current.externalId ? { externalId: current.externalId } : {}),
        members: memberIds.map((value) => ({ value })),
        meta: { created: current.createdAt, lastModified: current.updatedAt },
      };
      let patched: Record<string, unknown>;
      try {
        patched = scimPatch(resource, normalizeMemberOps(operations) as ScimPatchOperation[], {
          mutateDocument: false,
          treatMissingAsAdd: true,
        }) as unknown as Record<string, unknown>;
      } catch (error) {
        throw patchError(error);
      }
      return { ...parseGroupInput({ ...patched, members: undefined }), memberIds: memberIdsOf(patched.members) };
    });
    return this.get(id, baseUrl);
  }

  async delete(actor: CredentialActor, id: string): Promise<void> {
    const disabled = await this.groups.transaction(async (manager) => {
      const group = await this.require(id, manager, true);
      const owned = await this.groups.ownedAccountCount(id, manager);
      if (owned > 0) {
        throw new ScimError(
          409,
          `This group still owns ${owned} account(s). Move them to a user or another group in codex-lb first.`,
        );
      }
      const serviceAccountIds = await disableServiceAccountsOfGroup(manager, id);
      await this.groups.delete(id, manager);
      await this.audit.record(manager, {
        action: 'group.delete',
        actor,
        target: { type: 'group', id, label: group.name },
        changes: {
          before: { slug: group.slug, name: group.name, externalId: group.externalId },
          after: { disabledServiceAccountIds: serviceAccountIds },
        },
      });
      return serviceAccountIds;
    });
    for (const userId of disabled) this.events.emit('user.changed', { userId });
    await this.index.reload(id);
  }

  /** Saves what `next` makes of the group (name, externalId, human members) with one audit row. */
  private async apply(
    actor: CredentialActor,
    id: string,
    next: (current: ScimGroupRow, memberIds: string[]) => GroupInput,
  ): Promise<void> {
    const changed = await this.groups.transaction(async (manager) => {
      const current = await this.require(id, manager, true);
      const currentIds = ((await this.groups.members([id], manager)).get(id) ?? []).map((m) => m.principalId);
      const input = next(current, currentIds);
      if (input.externalId && (await this.groups.externalIdTaken(input.externalId, id, manager))) {
        throw ScimError.conflict(`Another group has the externalId "${input.externalId}".`);
      }
      const wanted = new Set(await this.knownMembers(input.memberIds, manager));
      const have = new Set(currentIds);
      const added = await this.groups.addMembers(
        id,
        [...wanted].filter((member) => !have.has(member)),
        manager,
      );
      const removed = (
        await this.groups.removeMembers(
          id,
          currentIds.filter((member) => !wanted.has(member)),
          manager,
        )
      ).map((row) => row.id);
      const renamed = input.displayName !== current.name;
      const relabelled = input.externalId !== current.externalId;
      if (renamed) await this.groups.rename(id, input.displayName, manager);
      if (relabelled || renamed) await this.groups.saveExternalId(id, input.externalId, manager);
      if (!renamed && !relabelled && added.length === 0 && removed.length === 0) return false;
      const action: AuditAction =
        renamed || relabelled || (added.length > 0 && removed.length > 0)
          ? 'group.update'
          : added.length > 0
            ? 'group.member_add'
            : 'group.member_remove';
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      if (renamed) [before.name, after.name] = [current.name, input.displayName];
      if (relabelled) [before.externalId, after.externalId] = [current.externalId, input.externalId];
      if (added.length > 0) after.addedMemberIds = added;
      if (removed.length > 0) before.removedMemberIds = removed;
      await this.audit.record(manager, {
        action,
        actor,
        target: { type: 'group', id, label: input.displayName },
        changes: { before, after },
      });
      return true;
    });
    // Awaited: a removed member's next request must not reach the group's accounts.
    if (changed) await this.index.reload(id);
  }

  /** The ids that name human users; an unknown member is a 400 (the directory must create it first). */
  private async knownMembers(ids: string[], manager: EntityManager): Promise<string[]> {
    const known = await this.groups.existingHumans(ids, manager);
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw ScimError.badRequest(`members names no user with the id "${unknown[0].slice(0, 64)}".`, 'invalidValue');
    }
    return ids;
  }

  private async require(id: string, manager?: EntityManager, lock = false): Promise<ScimGroupRow> {
    const row = isUuid(id) ? await this.groups.find(id, manager, lock) : null;
    if (!row) throw ScimError.notFound('Group');
    return row;
  }
}

/**
 * Directories remove members two ways: `path: members[value eq "id"]`, or (Entra ID)
 * `path: members` with the members to remove as the value. scim-patch reads the second as
 * "remove every member", so it is rewritten as the first, once per member.
 */
function normalizeMemberOps(operations: PatchOperation[]): PatchOperation[] {
  return operations.flatMap((operation): PatchOperation[] => {
    if (operation.op !== 'remove' || operation.path?.toLowerCase() !== 'members' || operation.value === undefined) {
      return [operation];
    }
    return memberIdsOf(operation.value)
      .filter(isUuid)
      .map((id) => ({ op: 'remove' as const, path: `members[value eq "${id}"]` }));
  });
}
