// The rules for service accounts. One belongs to a group (managed by the group's owners and the
// admins) or to the admins (admins only); anyone else gets 404, exactly as for a missing one. It
// is a principal with no password: it never signs in (see auth), and its keys are ordinary keys
// it owns, attached to its group, so they draw on the group's pool by the members' rule.
// Disabling it (or deleting it) reaches the key cache through user.changed before the answer is
// sent, so its keys are refused from the next request on.
import { Injectable } from '@nestjs/common';
import {
  permissionsForRole,
  type ApiKeySecretResponse,
  type ServiceAccountDto,
  type ServiceAccountKeysResponse,
  type ServiceAccountPage,
} from '@codex-lb/shared';
import type { EntityManager } from 'typeorm';
import { ApiError } from '../../common/api-error';
import { DomainEvents } from '../../common/events';
import type { Principal } from '../../common/principal';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AuditService, changedFields } from '../audit/audit.service';
import type { CreateApiKeyDto } from '../api-keys/dto/api-key.dto';
import { GroupIndex } from '../groups/group-index';
import type {
  CreateServiceAccountDto,
  CreateServiceAccountKeyDto,
  ListServiceAccountsQueryDto,
  UpdateServiceAccountDto,
} from './dto/service-account.dto';
import { toServiceAccountDto } from './service-accounts.mapper';
import {
  ServiceAccountsRepository,
  type ServiceAccountRow,
  type ServiceAccountScope,
} from './service-accounts.repository';

/** Built from the principal alone: admins see every service account, others their groups'. */
export function serviceAccountScopeFor(principal: Principal): ServiceAccountScope {
  return principal.permissions.has('owners:all') ? { all: true } : { groupOwnerId: principal.userId };
}

/**
 * The service account as the principal its keys are created and listed under. Built by the
 * server, never from a request: only ApiKeysService sees it, to own and list the keys.
 */
function actingAs(account: ServiceAccountRow): Principal {
  return {
    kind: 'internal',
    userId: account.id,
    username: account.name,
    role: 'user',
    permissions: new Set(permissionsForRole('user')),
    mustChangePassword: false,
  };
}

const nameTaken = (name: string) => ApiError.conflict('username_taken', `The name "${name}" is already taken.`);

@Injectable()
export class ServiceAccountsService {
  constructor(
    private readonly accounts: ServiceAccountsRepository,
    private readonly keys: ApiKeysService,
    private readonly events: DomainEvents,
    private readonly groups: GroupIndex,
    private readonly audit: AuditService,
  ) {}

  async list(principal: Principal, query: ListServiceAccountsQueryDto): Promise<ServiceAccountPage> {
    const rows = await this.accounts.list(serviceAccountScopeFor(principal), query.groupId);
    return { items: rows.map(toServiceAccountDto), nextCursor: null };
  }

  async get(principal: Principal, id: string): Promise<ServiceAccountDto> {
    return toServiceAccountDto(await this.require(principal, id));
  }

  async create(principal: Principal, dto: CreateServiceAccountDto): Promise<ServiceAccountDto> {
    const groupId = dto.groupId ?? null;
    const admin = principal.permissions.has('owners:all');
    if (groupId === null && !admin) {
      throw ApiError.forbidden('Only an admin can create a service account outside a group.');
    }
    const id = await this.accounts.transaction(async (manager) => {
      if (groupId !== null) await this.requireGroupOwner(principal, groupId, admin, manager);
      const created = await this.accounts.create({ name: dto.name, groupId }, manager);
      if (created) {
        await this.audit.record(manager, {
          action: 'service_account.create',
          target: { type: 'service_account', id: created, label: dto.name },
          changes: { after: { name: dto.name, groupId } },
        });
      }
      return created;
    });
    if (!id) throw nameTaken(dto.name);
    // Its member row is in the group index before the answer: its first key routes at once.
    if (groupId !== null) await this.groups.reload(groupId);
    return toServiceAccountDto((await this.accounts.find({ all: true }, id))!);
  }

  async update(principal: Principal, id: string, dto: UpdateServiceAccountDto): Promise<ServiceAccountDto> {
    const scope = serviceAccountScopeFor(principal);
    await this.accounts.transaction(async (manager) => {
      const before = await this.accounts.find(scope, id, manager);
      const result = before ? await this.accounts.update(scope, id, dto, manager) : 'not_found';
      if (result === 'not_found') throw ApiError.notFound('Service account');
      if (result === 'taken') throw nameTaken(dto.name ?? '');
      await this.audit.record(manager, {
        action: 'service_account.update',
        target: { type: 'service_account', id, label: dto.name ?? before!.name },
        changes: changedFields({ name: before!.name, isActive: before!.isActive }, { ...dto }),
      });
    });
    if (dto.isActive !== undefined) this.events.emit('user.changed', { userId: id });
    return this.get(principal, id);
  }

  async disable(principal: Principal, id: string): Promise<ServiceAccountDto> {
    return this.update(principal, id, { isActive: false });
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const scope = serviceAccountScopeFor(principal);
    const account = await this.accounts.transaction(async (manager) => {
      const row = await this.accounts.find(scope, id, manager);
      if (!row || !(await this.accounts.delete(scope, id, manager))) throw ApiError.notFound('Service account');
      await this.audit.record(manager, {
        action: 'service_account.delete',
        target: { type: 'service_account', id, label: row.name },
        changes: { before: { name: row.name, groupId: row.groupId, isActive: row.isActive } },
      });
      return row;
    });
    this.events.emit('user.changed', { userId: id, deleted: true });
    if (account.groupId) await this.groups.reload(account.groupId);
  }

  async listKeys(principal: Principal, id: string): Promise<ServiceAccountKeysResponse> {
    const account = await this.require(principal, id);
    return { items: await this.keys.list(actingAs(account), {}), nextCursor: null };
  }

  /** A key owned by the service account and attached to its group; the secret is in this answer only. */
  async createKey(principal: Principal, id: string, dto: CreateServiceAccountKeyDto): Promise<ApiKeySecretResponse> {
    const account = await this.require(principal, id);
    if (!account.isActive) {
      throw ApiError.conflict('conflict', 'This service account is disabled: enable it before creating keys.');
    }
    const request: CreateApiKeyDto = {
      name: dto.name,
      scopes: dto.scopes,
      expiresAt: dto.expiresAt,
      allowedModels: dto.allowedModels,
      limits: dto.limits,
      groupIds: account.groupId ? [account.groupId] : [],
    };
    return this.keys.create(actingAs(account), request, {
      action: 'service_account.key_create',
      target: { type: 'service_account', id: account.id, label: account.name },
    });
  }

  /** The service accounts deleting the group would disable (for the deletion's preview). */
  idsDisabledByGroupDeletion(groupId: string): Promise<string[]> {
    return this.accounts.idsInGroup(groupId);
  }

  private async require(principal: Principal, id: string): Promise<ServiceAccountRow> {
    const row = await this.accounts.find(serviceAccountScopeFor(principal), id);
    if (!row) throw ApiError.notFound('Service account');
    return row;
  }

  /** Admins, and the group's owners; a member or viewer is refused, anyone else sees no group. */
  private async requireGroupOwner(
    principal: Principal,
    groupId: string,
    admin: boolean,
    manager: EntityManager,
  ): Promise<void> {
    if (!(await this.accounts.lockGroup(groupId, manager))) throw ApiError.notFound('Group');
    if (admin) return;
    const role = await this.accounts.groupRole(principal.userId, groupId, manager);
    if (role === null) throw ApiError.notFound('Group');
    if (role !== 'owner') throw ApiError.forbidden('Only an owner of the group can create its service accounts.');
  }
}
