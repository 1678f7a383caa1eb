// Who may sign in with a password (GET|PATCH /api/auth-settings in the identity module edits it):
// everyone, only admin-level users (users:manage or roles:manage: the break-glass admins), or only
// the named break-glass accounts. Stored in app_state, read from the database at each password
// sign-in (a few a minute at most), so a change applies on every instance at once.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  LOCAL_LOGIN_POLICIES,
  MFA_ADMIN_PERMISSIONS,
  type LocalLoginPolicy as Policy,
  type Permission,
} from '@codex-lb/shared';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiError } from '../../common/api-error';
import type { UserEntity } from '../users/user.entity';
import { SessionsService } from './sessions.service';

export const AUTH_SETTINGS_KEY = 'auth_settings';

export interface StoredAuthSettings {
  localLogin: Policy;
  breakGlassUserIds: string[];
}

const DEFAULTS: StoredAuthSettings = { localLogin: 'everyone', breakGlassUserIds: [] };

export function isAdminLevel(permissions: Iterable<Permission | string>): boolean {
  for (const permission of permissions)
    if ((MFA_ADMIN_PERMISSIONS as readonly string[]).includes(permission)) return true;
  return false;
}

@Injectable()
export class LocalLoginPolicy {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionsService,
  ) {}

  async read(manager?: EntityManager): Promise<StoredAuthSettings> {
    const rows: { value: Partial<StoredAuthSettings> }[] = await (manager ?? this.dataSource.manager).query(
      `SELECT value FROM app_state WHERE key = $1`,
      [AUTH_SETTINGS_KEY],
    );
    const value = rows[0]?.value ?? {};
    return {
      localLogin: (LOCAL_LOGIN_POLICIES as readonly string[]).includes(value.localLogin ?? '')
        ? (value.localLogin as Policy)
        : DEFAULTS.localLogin,
      breakGlassUserIds: Array.isArray(value.breakGlassUserIds) ? value.breakGlassUserIds.map(String) : [],
    };
  }

  async write(manager: EntityManager, settings: StoredAuthSettings): Promise<void> {
    await manager.query(
      `INSERT INTO app_state (key, value, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [AUTH_SETTINGS_KEY, JSON.stringify(settings)],
    );
  }

  /** Whether this user may sign in with a password under the current policy. */
  async allows(user: Pick<UserEntity, 'id'>): Promise<boolean> {
    const settings = await this.read();
    if (settings.localLogin === 'everyone') return true;
    if (settings.localLogin === 'break-glass') return settings.breakGlassUserIds.includes(user.id);
    return isAdminLevel(await this.sessions.permissionsOf(user.id));
  }

  /** 403 local_login_disabled when the policy keeps this user to the identity provider. */
  async assertAllowed(user: Pick<UserEntity, 'id'>): Promise<void> {
    if (await this.allows(user)) return;
    throw ApiError.forbidden(
      'Password sign-in is turned off for this account: sign in with your company identity provider.',
      'local_login_disabled',
    );
  }
}
