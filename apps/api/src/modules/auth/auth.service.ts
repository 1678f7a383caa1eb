// Credentials, the session payload and password changes. Unknown user, wrong password, inactive
// user and service account fail identically and in the same time (bcrypt runs in every case: a
// service account has no hash, so it is compared with the same dummy hash as an unknown name).
import { Injectable } from '@nestjs/common';
import type { AuthenticatedSession, SessionResponse } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { DomainEvents } from '../../common/events';
import { hashPassword, verifyPassword } from '../../common/passwords';
import type { Principal } from '../../common/principal';
import { UsersRepository } from '../users/users.repository';
import type { UserEntity } from '../users/user.entity';
import type { ChangePasswordDto } from './dto/auth.dto';
import { LoginBackoff } from './login-backoff';
import { SessionsService } from './sessions.service';

export interface ClientMeta {
  ip: string | null;
  userAgent: string | null;
}

const INVALID = () => ApiError.unauthenticated('Invalid username or password.', 'invalid_credentials');

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly backoff: LoginBackoff,
    private readonly events: DomainEvents,
  ) {}

  async validateCredentials(username: string, password: string): Promise<UserEntity> {
    const wait = this.backoff.retryAfterSeconds(username);
    if (wait > 0) {
      throw ApiError.rateLimited('Too many failed sign-in attempts. Try again later.', wait);
    }
    const user = await this.users.findByUsername(username);
    const valid = await verifyPassword(password, user?.passwordHash ?? null);
    if (!user || !valid || !user.isActive || user.kind !== 'human') {
      this.backoff.recordFailure(username);
      throw INVALID();
    }
    this.backoff.recordSuccess(username);
    return user;
  }

  async login(user: UserEntity, meta: ClientMeta): Promise<{ token: string; session: AuthenticatedSession }> {
    if (user.kind !== 'human') throw INVALID();
    const token = await this.sessions.create(user.id, meta);
    await this.users.recordLogin(user.id);
    return {
      token,
      session: {
        authenticated: true,
        user: { id: user.id, username: user.username, role: user.role },
        permissions: await this.sessions.permissionsOf(user.id),
        mustChangePassword: user.mustChangePassword,
      },
    };
  }

  session(principal: Principal | undefined): SessionResponse {
    if (!principal || principal.kind !== 'session') return { authenticated: false };
    return {
      authenticated: true,
      user: { id: principal.userId, username: principal.username, role: principal.role },
      permissions: [...principal.permissions],
      mustChangePassword: principal.mustChangePassword,
    };
  }

  async logout(token: string | undefined): Promise<void> {
    if (token) await this.sessions.revoke(token);
  }

  /**
   * Changes the caller's password and ends every session of theirs, then opens a fresh one for
   * the current browser so the person who changed it stays signed in.
   */
  async changePassword(
    principal: Principal,
    dto: ChangePasswordDto,
    meta: ClientMeta,
  ): Promise<{ token: string; session: AuthenticatedSession }> {
    const user = await this.users.findById(principal.userId);
    const valid = await verifyPassword(dto.currentPassword, user?.passwordHash ?? null);
    if (!user || !valid || user.kind !== 'human') {
      throw ApiError.unauthenticated('The current password is not correct.', 'invalid_credentials');
    }
    if (dto.currentPassword === dto.newPassword) {
      throw ApiError.badRequest('The new password must differ from the current one.', 'validation_failed');
    }
    await this.users.update(user.id, {
      passwordHash: await hashPassword(dto.newPassword),
      passwordChangedAt: new Date(),
      mustChangePassword: false,
    });
    await this.sessions.revokeAllForUser(user.id);
    this.events.emit('user.changed', { userId: user.id });
    return this.login({ ...user, mustChangePassword: false }, meta);
  }
}
