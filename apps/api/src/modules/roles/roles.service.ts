// The rules for roles: presets are fixed (defined in code, synced at start), custom roles are made
// from the vocabulary by people who hold what they grant, a role with holders is not deleted, and
// no change leaves nobody able to manage users or roles. Every change is audited in its own
// transaction, and announced so cached API keys of its holders reload.
import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  PERMISSION_DESCRIPTIONS,
  PERMISSIONS,
  PRESET_ROLES,
  type Permission,
  type PermissionDto,
  type RoleDto,
  type RoleHolderDto,
} from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { DomainEvents } from '../../common/events';
import type { Principal } from '../../common/principal';
import { AuditService } from '../audit/audit.service';
import type { CreateRoleDto, HoldersQueryDto, UpdateRoleDto } from './dto/role.dto';
import { RolePolicy } from './role-policy';
import { syncRoleVocabulary } from './role-vocabulary';
import { orderedPermissions, toRoleDto } from './roles.mapper';
import { RolesRepository, type RoleRow } from './roles.repository';

@Injectable()
export class RolesService implements OnModuleInit {
  constructor(
    private readonly roles: RolesRepository,
    private readonly policy: RolePolicy,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** A permission or preset added to the code since the last start reaches the database now. */
  async onModuleInit(): Promise<void> {
    await syncRoleVocabulary(this.dataSource);
  }

  async permissions(): Promise<{ items: PermissionDto[] }> {
    const stored = new Set((await this.roles.listPermissions()).map((row) => row.id));
    const items = PERMISSIONS.filter((id) => stored.has(id)).map((id) => ({
      id,
      description: PERMISSION_DESCRIPTIONS[id],
    }));
    return { items };
  }

  /** Presets first, in the code's order (admin, operator, viewer, user), then custom roles by age. */
  async list(): Promise<{ items: RoleDto[] }> {
    const rank = (row: RoleRow) => {
      const index = PRESET_ROLES.findIndex((preset) => preset.id === row.id);
      return index < 0 ? PRESET_ROLES.length : index;
    };
    const rows = await this.roles.list();
    return {
      items: rows
        .map((row, order) => ({ row, order }))
        .sort((a, b) => rank(a.row) - rank(b.row) || a.order - b.order)
        .map(({ row }) => toRoleDto(row)),
    };
  }

  async get(id: string): Promise<RoleDto> {
    return toRoleDto(await this.require(id));
  }

  async holders(id: string, query: HoldersQueryDto): Promise<{ items: RoleHolderDto[]; total: number }> {
    const role = await this.require(id);
    const items = await this.roles.holders(role.slug, query.limit ?? 100, query.offset ?? 0);
    return { items, total: role.holders };
  }

  async create(actor: Principal, dto: CreateRoleDto): Promise<RoleDto> {
    const permissions = uniquePermissions(dto.permissions);
    this.policy.assertCanGrant(actor, permissions);
    const created = await this.roles.transaction(async (manager) => {
      const id = await this.roles.create({ slug: dto.slug, name: dto.name }, manager);
      if (!id) throw ApiError.conflict('role_slug_taken', `A role with the slug "${dto.slug}" already exists.`);
      await this.roles.setPermissions(id, permissions, manager);
      const role = (await this.roles.findById(id, manager))!;
      await this.audit.record(manager, {
        action: 'role.create',
        target: { type: 'role', id, label: role.slug },
        changes: { after: { slug: role.slug, name: role.name, permissions: orderedPermissions(role.permissions) } },
      });
      return role;
    });
    return toRoleDto(created);
  }

  async update(actor: Principal, id: string, dto: UpdateRoleDto): Promise<RoleDto> {
    const permissions = dto.permissions !== undefined ? uniquePermissions(dto.permissions) : undefined;
    const { role, permissionsChanged } = await this.roles.transaction(async (manager) => {
      const counts = await this.policy.before(manager);
      const current = await this.roles.findById(id, manager, true);
      if (!current) throw ApiError.notFound('Role');
      refusePreset(current, 'changed');
      // Changing a role changes what its holders may do: the actor must hold all of it, before and after.
      this.policy.assertCanGrant(actor, current.permissions, 'change a role holding');
      if (permissions) this.policy.assertCanGrant(actor, permissions);

      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      if (dto.name !== undefined && dto.name !== current.name) {
        await this.roles.rename(id, dto.name, manager);
        before.name = current.name;
        after.name = dto.name;
      }
      const oldPermissions = orderedPermissions(current.permissions);
      const newPermissions = permissions ? orderedPermissions(permissions) : oldPermissions;
      const changed = newPermissions.join() !== oldPermissions.join();
      if (changed) {
        await this.roles.setPermissions(id, newPermissions, manager);
        before.permissions = oldPermissions;
        after.permissions = newPermissions;
        await this.policy.after(manager, counts);
      }
      const updated = (await this.roles.findById(id, manager))!;
      if (Object.keys(after).length > 0) {
        await this.audit.record(manager, {
          action: 'role.update',
          target: { type: 'role', id, label: updated.slug },
          changes: { before, after },
        });
      }
      return { role: updated, permissionsChanged: changed };
    });
    if (permissionsChanged) this.events.emit('role.changed', { roleId: role.id, slug: role.slug });
    return toRoleDto(role);
  }

  async delete(actor: Principal, id: string): Promise<void> {
    await this.roles.transaction(async (manager) => {
      const current = await this.roles.findById(id, manager, true);
      if (!current) throw ApiError.notFound('Role');
      refusePreset(current, 'deleted');
      this.policy.assertCanGrant(actor, current.permissions, 'delete a role holding');
      if (current.holders > 0 || !(await this.roles.deleteUnused(id, manager))) {
        const holders = (await this.roles.findById(id, manager))?.holders ?? current.holders;
        throw new ApiError(
          409,
          'role_in_use',
          `The role "${current.slug}" is held by ${holders} ${holders === 1 ? 'user' : 'users'}: give them another role first.`,
          {},
          { holders },
        );
      }
      await this.audit.record(manager, {
        action: 'role.delete',
        target: { type: 'role', id, label: current.slug },
        changes: {
          before: { slug: current.slug, name: current.name, permissions: orderedPermissions(current.permissions) },
        },
      });
    });
  }

  private async require(id: string): Promise<RoleRow> {
    const role = await this.roles.findById(id);
    if (!role) throw ApiError.notFound('Role');
    return role;
  }
}

function refusePreset(role: RoleRow, verb: string): void {
  if (role.preset) {
    throw ApiError.conflict(
      'preset_role',
      `"${role.slug}" is a preset role: it cannot be ${verb}. Create a custom role instead.`,
    );
  }
}

function uniquePermissions(permissions: readonly Permission[]): Permission[] {
  const seen = new Set<string>();
  for (const permission of permissions) {
    if (seen.has(permission)) {
      throw ApiError.badRequest(`permissions must not repeat "${permission}".`, 'validation_failed');
    }
    seen.add(permission);
  }
  return [...permissions];
}
