// The rules for dashboard users: unique names, the last active admin stays, nobody deletes
// themselves, and any change that must end sessions does so in the same transaction. Service
// accounts share the table but are not users here: every route answers 404 for one.
import { Injectable } from '@nestjs/common';
import type { Page, UserDto } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { DomainEvents } from '../../common/events';
import { hashPassword } from '../../common/passwords';
import type { Principal } from '../../common/principal';
import type { CreateUserDto, ListUsersQueryDto, UpdateUserDto } from './dto/user.dto';
import { toUserDto } from './users.mapper';
import { UsersRepository, type UserPatch } from './users.repository';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
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

  async create(dto: CreateUserDto): Promise<UserDto> {
    const created = await this.users.create({
      username: dto.username,
      passwordHash: await hashPassword(dto.password),
      role: dto.role,
      mustChangePassword: true,
    });
    if (!created) throw ApiError.conflict('username_taken', `The username "${dto.username}" is already taken.`);
    return toUserDto(created);
  }

  async update(actor: Principal, id: string, dto: UpdateUserDto): Promise<UserDto> {
    const passwordHash = dto.password !== undefined ? await hashPassword(dto.password) : undefined;
    const updated = await this.users.transaction(async (manager) => {
      const admins = await this.users.lockActiveAdminIds(manager);
      const user = await this.users.findHumanById(id, manager);
      if (!user) throw ApiError.notFound('User');
      const losesAdmin = user.role === 'admin' && user.isActive && (dto.role === 'user' || dto.isActive === false);
      if (losesAdmin && admins.length <= 1) {
        throw ApiError.conflict('last_admin', 'This is the last active admin: promote another user first.');
      }
      if (id === actor.userId && dto.isActive === false) {
        throw ApiError.badRequest('You cannot deactivate your own account.');
      }
      const patch: UserPatch = {};
      if (dto.role !== undefined) patch.role = dto.role;
      if (dto.isActive !== undefined) patch.isActive = dto.isActive;
      if (passwordHash !== undefined) {
        // A reset by an admin ends the user's sessions (via password_changed_at) and forces a
        // change at the next login.
        patch.passwordHash = passwordHash;
        patch.passwordChangedAt = new Date();
        patch.mustChangePassword = true;
      }
      if (Object.keys(patch).length > 0) await this.users.update(id, patch, manager);
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
      const admins = await this.users.lockActiveAdminIds(manager);
      const user = await this.users.findHumanById(id, manager);
      if (!user) throw ApiError.notFound('User');
      if (user.role === 'admin' && user.isActive && admins.length <= 1) {
        throw ApiError.conflict('last_admin', 'This is the last active admin and cannot be deleted.');
      }
      await this.users.delete(id, manager);
    });
    this.events.emit('user.changed', { userId: id, deleted: true });
  }
}
