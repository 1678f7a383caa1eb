// SCIM Users: the company directory creates, updates, deactivates and deletes dashboard users.
// - A user the directory creates gets the least-privileged preset role (`user`) and no password:
//   they sign in through the company's identity provider only (the password login refuses a user
//   without a hash). The directory never changes roles.
// - Deactivation (`active: false`, by PUT or PATCH) is user management's deactivation: the user's
//   sessions stop at their next request (the session lookup requires an active user) and are
//   removed, and their API keys are refused from the next request on (the `user.changed` event
//   drops them from the key cache on every instance). Deletion is user management's deletion.
// - The last active holders of users:manage and roles:manage keep them (RolePolicy), so a
//   directory cannot lock every administrator out.
// - Every change writes one audit row in its transaction, with the SCIM token as the actor.
import { Injectable } from '@nestjs/common';
import { scimPatch, type ScimPatchOperation } from 'scim-patch';
import type { EntityManager } from 'typeorm';
import { ApiError } from '../../common/api-error';
import { DomainEvents } from '../../common/events';
import type { CredentialActor } from '../audit/audit.types';
import { AuditService } from '../audit/audit.service';
import { RolePolicy } from '../roles/role-policy';
import { UsersRepository } from '../users/users.repository';
import { ScimError } from './scim-error';
import { filterToSql } from './scim-filter';
import { parseListQuery, parsePatch, parseUserInput, type UserInput } from './scim-input';
import { listResponse, toScimUser, USER_SCHEMA, type ScimListResponse, type ScimUserResource } from './scim-resources';
import { ScimUsersRepository, USER_FILTER_ATTRIBUTES, type ScimUserRow } from './scim-users.repository';

/** The role a directory-created user gets: the least-privileged preset. */
export const SCIM_DEFAULT_ROLE = 'user';

@Injectable()
export class ScimUsersService {
  constructor(
    private readonly scimUsers: ScimUsersRepository,
    private readonly users: UsersRepository,
    private readonly policy: RolePolicy,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
  ) {}

  async list(query: unknown, baseUrl: string): Promise<ScimListResponse<ScimUserResource>> {
    const { filter, startIndex, count } = parseListQuery(query);
    const where = filterToSql(filter, USER_FILTER_ATTRIBUTES, USER_SCHEMA);
    const { rows, total } = await this.scimUsers.list(where, startIndex - 1, count);
    return listResponse(
      rows.map((row) => toScimUser(row, baseUrl)),
      total,
      startIndex,
    );
  }

  async get(id: string, baseUrl: string): Promise<ScimUserResource> {
    return toScimUser(await this.require(id), baseUrl);
  }

  async create(actor: CredentialActor, body: unknown, baseUrl: string): Promise<ScimUserResource> {
    const input = parseUserInput(body);
    const id = await this.scimUsers.transaction(async (manager) => {
      await this.assertUnique(input, null, manager);
      const created = await this.scimUsers.create(
        { username: input.username, role: SCIM_DEFAULT_ROLE, isActive: input.active },
        manager,
      );
      if (!created) throw ScimError.conflict(`The userName "${input.username}" is already taken.`);
      await this.scimUsers.saveAttributes(created, input, manager, true);
      await this.audit.record(manager, {
        action: 'user.create',
        actor,
        target: { type: 'user', id: created, label: input.username },
        changes: {
          after: {
            username: input.username,
            role: SCIM_DEFAULT_ROLE,
            isActive: input.active,
            externalId: input.externalId,
          },
        },
      });
      return created;
    });
    return this.get(id, baseUrl);
  }

  /** PUT: the body replaces every attribute SCIM manages. */
  async replace(actor: CredentialActor, id: string, body: unknown, baseUrl: string): Promise<ScimUserResource> {
    const input = parseUserInput(body);
    await this.apply(actor, id, () => input);
    return this.get(id, baseUrl);
  }

  /** PATCH: the operations applied (by scim-patch) to the user as SCIM shows them, then saved like a PUT. */
  async patch(actor: CredentialActor, id: string, body: unknown, baseUrl: string): Promise<ScimUserResource> {
    const operations = parsePatch(body);
    await this.apply(actor, id, (current) => {
      const resource = {
        ...toScimUser(current, baseUrl),
        meta: { created: current.createdAt, lastModified: current.updatedAt },
      };
      let patched: unknown;
      try {
        patched = scimPatch(resource, operations as ScimPatchOperation[], {
          mutateDocument: false,
          treatMissingAsAdd: true,
        });
      } catch (error) {
        throw patchError(error);
      }
      return parseUserInput(patched);
    });
    return this.get(id, baseUrl);
  }

  async delete(actor: CredentialActor, id: string): Promise<void> {
    await this.scimUsers.transaction(async (manager) => {
      const managers = await this.policy.before(manager);
      const user = await this.require(id, manager);
      await this.users.delete(id, manager);
      await this.keepManagers(manager, managers);
      await this.audit.record(manager, {
        action: 'user.delete',
        actor,
        target: { type: 'user', id, label: user.username },
        changes: { before: { username: user.username, role: user.role, isActive: user.isActive } },
      });
    });
    this.events.emit('user.changed', { userId: id, deleted: true });
  }

  /** Saves what `next` makes of the current user, in one transaction with its audit row. */
  private async apply(actor: CredentialActor, id: string, next: (current: ScimUserRow) => UserInput): Promise<void> {
    const changed = await this.scimUsers.transaction(async (manager) => {
      const managers = await this.policy.before(manager);
      const current = await this.require(id, manager);
      const input = next(current);
      await this.assertUnique(input, id, manager);
      const before = snapshot(current);
      const after = snapshotOf(input);
      const changes: { before: Record<string, unknown>; after: Record<string, unknown> } = { before: {}, after: {} };
      for (const [field, value] of Object.entries(after)) {
        if (JSON.stringify(before[field] ?? null) === JSON.stringify(value ?? null)) continue;
        changes.before[field] = before[field] ?? null;
        changes.after[field] = value;
      }
      if (Object.keys(changes.after).length === 0) return false;
      if (input.username !== current.username) await this.scimUsers.setUsername(id, input.username, manager);
      if (input.active !== current.isActive) {
        await this.users.update(id, { isActive: input.active }, manager);
        await this.keepManagers(manager, managers);
      }
      await this.scimUsers.saveAttributes(id, input, manager);
      await this.audit.record(manager, {
        action: 'user.update',
        actor,
        target: { type: 'user', id, label: input.username },
        changes,
      });
      return true;
    });
    // After the commit: sessions of a deactivated user are removed and their keys dropped from
    // the key cache (the next request with one is refused).
    if (changed) this.events.emit('user.changed', { userId: id });
  }

  private async keepManagers(manager: EntityManager, before: Awaited<ReturnType<RolePolicy['before']>>) {
    try {
      await this.policy.after(manager, before);
    } catch (error) {
      if (error instanceof ApiError && error.getStatus() === 409) throw new ScimError(409, error.message, 'mutability');
      throw error;
    }
  }

  private async assertUnique(input: UserInput, id: string | null, manager: EntityManager): Promise<void> {
    const clash = await this.scimUsers.clash(input.username, input.externalId, id, manager);
    if (clash === 'userName') throw ScimError.conflict(`The userName "${input.username}" is already taken.`);
    if (clash === 'externalId') throw ScimError.conflict(`Another user has the externalId "${input.externalId}".`);
  }

  private async require(id: string, manager?: EntityManager): Promise<ScimUserRow> {
    const row = isUuid(id) ? await this.scimUsers.find(id, manager) : null;
    if (!row) throw ScimError.notFound('User');
    return row;
  }
}

function snapshot(row: ScimUserRow): Record<string, unknown> {
  return {
    username: row.username,
    isActive: row.isActive,
    externalId: row.externalId,
    displayName: row.displayName,
    givenName: row.givenName,
    familyName: row.familyName,
    emails: row.emails,
  };
}

function snapshotOf(input: UserInput): Record<string, unknown> {
  return {
    username: input.username,
    isActive: input.active,
    externalId: input.externalId,
    displayName: input.displayName,
    givenName: input.givenName,
    familyName: input.familyName,
    emails: input.emails,
  };
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** scim-patch's errors carry their scimType; the message names what was wrong. */
export function patchError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  const scimCode = (error as { scimCode?: string })?.scimCode;
  const message = error instanceof Error ? error.message.replace(/ \[object Object\]$/, '') : 'The PATCH is invalid.';
  const scimType =
    scimCode === 'noTarget' || scimCode === 'invalidPath' || scimCode === 'invalidValue' ? scimCode : 'invalidSyntax';
  return ScimError.badRequest(message.slice(0, 300), scimType);
}
