// The only code that touches dashboard_users. Users are not owned rows (only admins manage them),
// so these methods take no OwnerScope; the controller's permission is the gate. The table also
// holds service accounts (kind 'service'); user management sees humans only (list and
// findHumanById), and the service-accounts module manages the rest.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { RoleSlug } from '@codex-lb/shared';
import { UserEntity } from './user.entity';

export interface UserListFilter {
  role?: RoleSlug;
  isActive?: boolean;
  limit: number;
  offset: number;
}

export interface NewUser {
  username: string;
  passwordHash: string;
  role: RoleSlug;
  mustChangePassword: boolean;
}

export type UserPatch = Partial<
  Pick<UserEntity, 'role' | 'isActive' | 'passwordHash' | 'mustChangePassword' | 'passwordChangedAt'>
>;

@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private repo(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(UserEntity);
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  findById(id: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.repo(manager).findOne({ where: { id } });
  }

  /** A human user by id: what user management may see and change (a service account is not found). */
  findHumanById(id: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.repo(manager).findOne({ where: { id, kind: 'human' } });
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.repo().createQueryBuilder('u').where('lower(u.username) = lower(:username)', { username }).getOne();
  }

  async list(filter: UserListFilter): Promise<{ items: UserEntity[]; total: number }> {
    const query = this.repo().createQueryBuilder('u').where(`u.kind = 'human'`);
    if (filter.role) query.andWhere('u.role = :role', { role: filter.role });
    if (filter.isActive !== undefined) query.andWhere('u.is_active = :active', { active: filter.isActive });
    const [items, total] = await query
      .orderBy('u.created_at', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .take(filter.limit)
      .skip(filter.offset)
      .getManyAndCount();
    return { items, total };
  }

  /** Returns null when the username is taken (case-insensitively). */
  async create(user: NewUser, manager?: EntityManager): Promise<UserEntity | null> {
    const rows: UserEntity[] = await (manager ?? this.dataSource.manager).query(
      `INSERT INTO dashboard_users (username, password_hash, role, must_change_password)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT ((lower(username))) DO NOTHING
       RETURNING id`,
      [user.username, user.passwordHash, user.role, user.mustChangePassword],
    );
    if (rows.length === 0) return null;
    return this.findById(rows[0].id, manager);
  }

  /**
   * Times come from the database clock, like session times: a password_changed_at from the app's
   * clock could sit after (or before) the sessions it must invalidate. A patch that sets
   * passwordChangedAt stores now().
   */
  async update(id: string, patch: UserPatch, manager?: EntityManager): Promise<boolean> {
    const { passwordChangedAt, ...rest } = patch;
    const result = await this.repo(manager).update(
      { id },
      {
        ...rest,
        ...(passwordChangedAt ? { passwordChangedAt: () => 'now()' } : {}),
        updatedAt: () => 'now()',
      },
    );
    return (result.affected ?? 0) > 0;
  }

  async delete(id: string, manager?: EntityManager): Promise<boolean> {
    const result = await this.repo(manager).delete({ id });
    return (result.affected ?? 0) > 0;
  }

  async recordLogin(id: string): Promise<void> {
    await this.repo().update({ id }, { lastLoginAt: new Date() });
  }
}
