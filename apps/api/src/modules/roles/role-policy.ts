// The rules every role change obeys, wherever it is made (roles or users): nobody grants a
// permission they do not hold, nobody changes someone who holds more than they do, and the last
// active people holding users:manage or roles:manage keep them. Used inside the transaction that
// makes the change, after RolesRepository.lockManagers().
import { Injectable } from '@nestjs/common';
import type { Permission } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import type { Principal } from '../../common/principal';
import type { EntityManager } from 'typeorm';
import { RolesRepository, type ManagerCounts, type RoleRow } from './roles.repository';

@Injectable()
export class RolePolicy {
  constructor(private readonly roles: RolesRepository) {}

  /** 403 unless the actor holds every one of these permissions. */
  assertCanGrant(actor: Principal, permissions: readonly string[], what = 'grant'): void {
    const missing = permissions.filter((permission) => !actor.permissions.has(permission as Permission));
    if (missing.length > 0) {
      throw ApiError.forbidden(
        `You cannot ${what} permissions you do not hold yourself: ${missing.join(', ')}.`,
        'forbidden',
      );
    }
  }

  /**
   * The role a slug names, or 400 (unknown_role). In a transaction the role stays until it ends,
   * so a role being assigned is never deleted under the assignment.
   */
  async roleForSlug(slug: string, manager?: EntityManager): Promise<RoleRow> {
    const role = await this.roles.findBySlug(slug, manager, manager !== undefined);
    if (!role) throw ApiError.badRequest(`There is no role "${slug}".`, 'unknown_role');
    return role;
  }

  /** Takes the management lock and counts the managers before a change. */
  async before(manager: EntityManager): Promise<ManagerCounts> {
    await this.roles.lockManagers(manager);
    return this.roles.managerCounts(manager);
  }

  /**
   * After the change, in the same transaction: 409 (rolled back) if it took the last active
   * holder of users:manage or roles:manage away. A state that already had none is left to be fixed.
   */
  async after(manager: EntityManager, before: ManagerCounts): Promise<void> {
    const now = await this.roles.managerCounts(manager);
    const lost: string[] = [];
    if (before.usersManage > 0 && now.usersManage === 0) lost.push('users:manage');
    if (before.rolesManage > 0 && now.rolesManage === 0) lost.push('roles:manage');
    if (lost.length > 0) {
      throw ApiError.conflict(
        'last_manager',
        `This would leave no active user holding ${lost.join(' and ')}: give another user a role with it first.`,
      );
    }
  }
}
