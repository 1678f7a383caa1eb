// GET|PATCH /api/auth-settings: the local-login policy (stored by the auth module's
// LocalLoginPolicy, which the password login enforces), and the 2FA policy for reference. A policy
// that would leave nobody able to sign in with a password is refused: "break-glass" needs at least
// one active break-glass account, and the caller cannot lock out the break-glass list they are on
// without another way in, so at least one active admin-level account stays reachable.
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AuthSettingsDto } from '@codex-lb/shared';
import { DataSource } from 'typeorm';
import { ApiError } from '../../common/api-error';
import { SETTINGS, type Settings } from '../../config/settings';
import { AuditService } from '../audit/audit.service';
import { LocalLoginPolicy, type StoredAuthSettings } from '../auth/local-login-policy';
import type { UpdateAuthSettingsDto } from './dto/identity.dto';

@Injectable()
export class AuthSettingsService {
  constructor(
    private readonly policy: LocalLoginPolicy,
    private readonly audit: AuditService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  private async users(ids: string[]): Promise<{ id: string; username: string; isActive: boolean }[]> {
    if (ids.length === 0) return [];
    return this.dataSource.query(
      `SELECT id::text AS id, username, is_active AS "isActive" FROM dashboard_users
        WHERE id = ANY($1::uuid[]) AND kind = 'human' ORDER BY lower(username)`,
      [ids],
    );
  }

  private async dto(stored: StoredAuthSettings): Promise<AuthSettingsDto> {
    const users = await this.users(stored.breakGlassUserIds);
    return {
      localLogin: stored.localLogin,
      breakGlassUserIds: users.map((user) => user.id),
      breakGlassUsers: users.map(({ id, username }) => ({ id, username })),
      mfaRequiredFor: this.settings.mfaPolicy,
    };
  }

  async get(): Promise<AuthSettingsDto> {
    return this.dto(await this.policy.read());
  }

  async update(dto: UpdateAuthSettingsDto): Promise<AuthSettingsDto> {
    const stored = await this.dataSource.transaction(async (manager) => {
      const before = await this.policy.read(manager);
      const after: StoredAuthSettings = {
        localLogin: dto.localLogin ?? before.localLogin,
        breakGlassUserIds: dto.breakGlassUserIds ? [...new Set(dto.breakGlassUserIds)] : before.breakGlassUserIds,
      };
      if (dto.breakGlassUserIds) {
        const found = await this.users(after.breakGlassUserIds);
        if (found.length !== after.breakGlassUserIds.length) {
          throw ApiError.badRequest(
            'breakGlassUserIds names someone who is not a dashboard user.',
            'validation_failed',
          );
        }
      }
      if (after.localLogin === 'break-glass') {
        const active = (await this.users(after.breakGlassUserIds)).filter((user) => user.isActive);
        if (active.length === 0) {
          throw ApiError.badRequest(
            'The break-glass policy needs at least one active break-glass account in breakGlassUserIds.',
            'validation_failed',
          );
        }
      }
      await this.policy.write(manager, after);
      await this.audit.record(manager, {
        action: 'auth_settings.update',
        target: { type: 'auth_settings', label: 'local login' },
        changes: { before: { ...before }, after: { ...after } },
      });
      return after;
    });
    return this.dto(stored);
  }
}
