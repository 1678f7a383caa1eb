// The rules for dashboard users: unique names, nobody deletes or deactivates themselves, any
// change that must end sessions does so in the same transaction, and the role rules (RolePolicy):
// a role is assigned only by someone holding all of its permissions, a user holding more than the
// actor is not touched by them, and the last active holders of users:manage and roles:manage keep
// them. Every change writes its audit row in its transaction. Service accounts share the table
// but are not users here: every route answers 404 for one.
import { Injectable } from '@nestjs/common';
import type { Page, UserDto } from '@codex-lb/shared';
import type { EntityManager } from 'typeorm';
import { ApiError } from '../../common/api-error';
import { DomainEvents } from '../../common/events';
import { hashPassword } from '../../common/passwords';
import type { Principal } from '../../common/principal';
import { AuditService } from '../audit/audit.service';
import { RolePolicy } from '../roles/role-policy';
import type { UserEntity } from './user.entity';
import type { CreateUserDto, ListUsersQueryDto, UpdateUserDto } from './dto/user.dto';
import { toUserDto } from './users.mapper';
import { UsersRepository, type UserPatch } from './users.repository';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly policy: RolePolicy,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
  ) {}

  async list(query: ListUsersQueryDto): Promise<Page<UserDto>> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { items, total } = await this.users.list({ role: query.role, isActive: query.active, limit, offset });
    return { items: items.map(toUserDto), total, limit, offset };
  }

  async get(id: string): Promise<UserDto> {
    const user = await this.users.findHumanById(id);
    if (!user) throw ApiError.notFound('User');
    return toUserDto(user);
  }

  async create(actor: Principal, dto: CreateUserDto): Promise<UserDto> {
    this.policy.assertCanGrant(actor, (await this.policy.roleForSlug(dto.role)).permissions, 'assign a role with');
    const passwordHash = await hashPassword(dto.password);
    const created = await this.users.transaction(async (manager) => {
      // Again inside, holding the role: it may have changed while the password was hashed.
      const role = await this.policy.roleForSlug(dto.role, manager);
      this.policy.assertCanGrant(actor, role.permissions, 'assign a role with');
      const user = await this.users.create(
        { username: dto.username, passwordHash, role: role.slug, mustChangePassword: true },
        manager,
      );
      if (!user) throw ApiError.conflict('username_taken', `The username "${dto.username}" is already taken.`);
      await this.audit.record(manager, {
        action: 'user.create',
        target: userTarget(user),
        changes: { after: { username: user.username, role: user.role, isActive: user.isActive } },
      });
      return user;
    });
    return toUserDto(created);
  }

  async update(actor: Principal, id: string, dto: UpdateUserDto): Promise<UserDto> {
    const passwordHash = dto.password !== undefined ? await hashPassword(dto.password) : undefined;
    const updated = await this.users.transaction(async (manager) => {
      const managers = await this.policy.before(manager);
      const user = await this.requireChangeable(actor, id, manager);
      if (id === actor.userId && dto.isActive === false) {
        throw ApiError.badRequest('You cannot deactivate your own account.');
      }
      const patch: UserPatch = {};
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      if (dto.role !== undefined && dto.role !== user.role) {
        const role = await this.policy.roleForSlug(dto.role, manager);
        this.policy.assertCanGrant(actor, role.permissions, 'assign a role with');
        patch.role = role.slug;
        before.role = user.role;
        after.role = role.slug;
      }
      if (dto.isActive !== undefined && dto.isActive !== user.isActive) {
        patch.isActive = dto.isActive;
        before.isActive = user.isActive;
        after.isActive = dto.isActive;
      }
      if (passwordHash !== undefined) {
        // A reset by an admin ends the user's sessions (via password_changed_at) and forces a
        // change at the next login.
        patch.passwordHash = passwordHash;
        patch.passwordChangedAt = new Date();
        patch.mustChangePassword = true;
        after.mustChangePassword = true;
      }
      if (Object.keys(patch).length === 0) return user;
      await this.users.update(id, patch, manager);
      await this.policy.after(manager, managers);
      await this.audit.record(manager, {
        // One row per change: a reset (whatever else the request changed) is the password reset.
        action: passwordHash !== undefined ? 'user.password_reset' : 'user.update',
        target: userTarget(user),
        changes: { before, after },
      });
      return (await this.users.findHumanById(id, manager))!;
    });
    this.events.emit('user.changed', { userId: id });
    return toUserDto(updated);
  }

  async delete(actor: Principal, id: string): Promise<void> {
    if (id === actor.userId) {
      throw ApiError.badRequest('You cannot delete your own account.', 'cannot_delete_self');
    }
    await this.users.transaction(async (manager) => {
      const managers = await this.policy.before(manager);
      const user = await this.requireChangeable(actor, id, manager);
      await this.users.delete(id, manager);
      await this.policy.after(manager, managers);
      await this.audit.record(manager, {
        action: 'user.delete',
        target: userTarget(user),
        changes: { before: { username: user.username, role: user.role, isActive: user.isActive } },
      });
    });
    this.events.emit('user.changed', { userId: id, deleted: true });
  }

  /** The human user, if the actor holds every permission the user's role holds (else 403). */
  private async requireChangeable(actor: Principal, id: string, manager: EntityManager): Promise<UserEntity> {
    const user = await this.users.findHumanById(id, manager);
    if (!user) throw ApiError.notFound('User');
    const current = await this.policy.roleForSlug(user.role, manager);
    this.policy.assertCanGrant(actor, current.permissions, 'change a user whose role holds');
    return user;
  }
}

function userTarget(user: UserEntity) {
  return { type: 'user', id: user.id, label: user.username };
}
