import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { RoleSlug } from '@codex-lb/shared';

/** Humans sign in with a password; service accounts only hold keys and never have a session. */
export type PrincipalKind = 'human' | 'service';

@Entity('dashboard_users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar' })
  username: string;

  /** Null for a service account (never for a human: a CHECK constraint holds it). */
  @Column({ name: 'password_hash', type: 'varchar', nullable: true })
  passwordHash: string | null;

  @Column({ type: 'varchar' })
  kind: PrincipalKind;

  /** A service account's group; null for humans and for the admins' service accounts. */
  @Column({ name: 'service_group_id', type: 'uuid', nullable: true })
  serviceGroupId: string | null;

  /** The slug of a role (a foreign key to roles.slug). */
  @Column({ type: 'varchar' })
  role: RoleSlug;

  @Column({ name: 'is_active', type: 'boolean' })
  isActive: boolean;

  @Column({ name: 'must_change_password', type: 'boolean' })
  mustChangePassword: boolean;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null;

  @Column({ name: 'password_changed_at', type: 'timestamptz' })
  passwordChangedAt: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
