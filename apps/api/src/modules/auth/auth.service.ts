// Credentials, the session payload and password changes. Unknown user, wrong password, inactive
// user and service account fail identically and in the same time (bcrypt runs in every case: a
// service account has no hash, so it is compared with the same dummy hash as an unknown name).
//
// Wrong passwords back off per (client address, username) (login-backoff.ts): a client that keeps
// failing waits, everyone else, the right password from another address included, does not.
import { Inject, Injectable } from '@nestjs/common';
import { mfaRequiredFor, type AuthenticatedSession, type SessionResponse } from '@codex-lb/shared';
import type { EntityManager } from 'typeorm';
import { ApiError } from '../../common/api-error';
import { DomainEvents } from '../../common/events';
import { hashPassword, verifyPassword } from '../../common/passwords';
import type { Principal } from '../../common/principal';
import { SETTINGS, type Settings } from '../../config/settings';
import { AuditService } from '../audit/audit.service';
import { UsersRepository } from '../users/users.repository';
import type { UserEntity } from '../users/user.entity';
import { CredentialsRepository } from './credentials.repository';
import type { ChangePasswordDto } from './dto/auth.dto';
import type { MfaCodeDto } from './dto/mfa.dto';
import { LocalLoginPolicy } from './local-login-policy';
import { LoginBackoff } from './login-backoff';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';
import { SessionsService } from './sessions.service';

export interface ClientMeta {
  ip: string | null;
  userAgent: string | null;
}

export type LoginOutcome =
  { kind: 'session'; token: string; session: AuthenticatedSession } | { kind: 'mfa'; pendingToken: string };

const INVALID = () => ApiError.unauthenticated('Invalid username or password.', 'invalid_credentials');

/** The principal an audit row names for a user acting on their own sign-in. */
function selfActor(user: UserEntity): Principal {
  return {
    kind: 'session',
    userId: user.id,
    username: user.username,
    role: user.role,
    permissions: new Set(),
    mustChangePassword: user.mustChangePassword,
  };
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly credentials: CredentialsRepository,
    private readonly mfa: MfaService,
    private readonly mfaRows: MfaRepository,
    private readonly backoff: LoginBackoff,
    private readonly localLogin: LocalLoginPolicy,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async validateCredentials(username: string, password: string, client: string | null): Promise<UserEntity> {
    const subject = `login:${username}`;
    const wait = this.backoff.retryAfterSeconds(subject, client);
    if (wait > 0) {
      this.audit.recordSoon({
        action: 'auth.login_failed',
        actor: null,
        target: { type: 'user', label: username },
        outcome: 'denied',
        reason: 'backoff',
      });
      throw ApiError.rateLimited('Too many failed sign-in attempts from here. Try again later.', wait);
    }
    const user = await this.users.findByUsername(username);
    const valid = await verifyPassword(password, user?.passwordHash ?? null);
    if (!user || !valid || !user.isActive || user.kind !== 'human') {
      this.backoff.recordFailure(subject, client);
      this.audit.recordSoon({
        action: 'auth.login_failed',
        actor: null,
        target: { type: 'user', label: username },
        outcome: 'failed',
        reason: 'invalid_credentials',
      });
      throw INVALID();
    }
    this.backoff.recordSuccess(subject, client);
    return user;
  }

  /** A correct password: a session, or a pending sign-in when the user has a second factor. */
  async login(user: UserEntity, meta: ClientMeta): Promise<LoginOutcome> {
    if (user.kind !== 'human') throw INVALID();
    await this.assertLocalLoginAllowed(user);
    if (await this.mfa.isEnrolled(user.id)) {
      return { kind: 'mfa', pendingToken: await this.mfa.startPendingLogin(user.id) };
    }
    return { kind: 'session', ...(await this.openSession(user, meta, 'password')) };
  }

  /** The local-login policy (auth-settings): a refusal is audited and answers 403. */
  private async assertLocalLoginAllowed(user: UserEntity): Promise<void> {
    try {
      await this.localLogin.assertAllowed(user);
    } catch (error) {
      this.audit.recordSoon({
        action: 'auth.login_failed',
        actor: null,
        target: { type: 'user', id: user.id, label: user.username },
        outcome: 'denied',
        reason: 'local_login_disabled',
      });
      throw error;
    }
  }

  /** The second step: a code completes the pending sign-in (consumed once) and opens a session. */
  async verifyMfa(
    pendingToken: string | undefined,
    dto: MfaCodeDto,
    meta: ClientMeta,
  ): Promise<{ token: string; session: AuthenticatedSession }> {
    const { user, pendingId } = await this.mfa.verifyPendingLogin(pendingToken, dto, meta.ip);
    return this.openSession(user, meta, dto.recoveryCode !== undefined ? 'recovery code' : 'totp', async (manager) => {
      if (!(await this.mfa.consumePendingLogin(manager, pendingId))) {
        throw ApiError.unauthenticated('This sign-in was already completed or expired. Sign in again.', 'mfa_required');
      }
    });
  }

  private async openSession(
    user: UserEntity,
    meta: ClientMeta,
    method: string,
    before?: (manager: EntityManager) => Promise<void>,
  ): Promise<{ token: string; session: AuthenticatedSession }> {
    const token = await this.mfaRows.transaction(async (manager) => {
      await before?.(manager);
      const created = await this.sessions.create(user.id, meta, manager);
      await this.audit.record(manager, {
        action: 'auth.login',
        actor: selfActor(user),
        target: { type: 'user', id: user.id, label: user.username },
        reason: method,
      });
      return created;
    });
    await this.users.recordLogin(user.id);
    return { token, session: await this.sessionPayload(user) };
  }

  private async sessionPayload(user: UserEntity): Promise<AuthenticatedSession> {
    const permissions = await this.sessions.permissionsOf(user.id);
    return {
      authenticated: true,
      user: { id: user.id, username: user.username, role: user.role },
      permissions,
      mustChangePassword: user.mustChangePassword,
      mfa: {
        enrolled: await this.mfa.isEnrolled(user.id),
        required: mfaRequiredFor(this.settings.mfaPolicy, permissions),
      },
      hasPassword: user.passwordHash !== null,
    };
  }

  session(principal: Principal | undefined): SessionResponse {
    if (!principal || principal.kind !== 'session') return { authenticated: false };
    return {
      authenticated: true,
      user: { id: principal.userId, username: principal.username, role: principal.role },
      permissions: [...principal.permissions],
      mustChangePassword: principal.mustChangePassword,
      mfa: principal.mfa ?? { enrolled: false, required: false },
      hasPassword: principal.hasPassword ?? true,
    };
  }

  /** Ends the cookie's session (if any) with its audit row, and any sign-in waiting for a code. */
  async logout(token: string | undefined, principal: Principal | undefined, pendingToken?: string): Promise<void> {
    await this.mfa.cancelPendingLogin(pendingToken);
    if (!token) return;
    await this.mfaRows.transaction(async (manager) => {
      const ended = await this.sessions.revoke(token, manager);
      if (ended && principal?.kind === 'session') {
        await this.audit.record(manager, {
          action: 'auth.logout',
          target: { type: 'user', id: principal.userId, label: principal.username },
        });
      }
    });
  }

  /**
   * Changes the caller's password and ends every session of theirs, then opens a fresh one for
   * the current browser so the person who changed it stays signed in. Wrong current passwords
   * back off per (user, client) like sign-in.
   */
  async changePassword(
    principal: Principal,
    dto: ChangePasswordDto,
    meta: ClientMeta,
  ): Promise<{ token: string; session: AuthenticatedSession }> {
    const subject = `password:${principal.userId}`;
    const wait = this.backoff.retryAfterSeconds(subject, meta.ip);
    if (wait > 0) throw ApiError.rateLimited('Too many wrong passwords. Try again later.', wait);
    const user = await this.users.findById(principal.userId);
    const valid = await verifyPassword(dto.currentPassword, user?.passwordHash ?? null);
    if (!user || !valid || user.kind !== 'human') {
      this.backoff.recordFailure(subject, meta.ip);
      throw ApiError.unauthenticated('The current password is not correct.', 'invalid_credentials');
    }
    this.backoff.recordSuccess(subject, meta.ip);
    if (dto.currentPassword === dto.newPassword) {
      throw ApiError.badRequest('The new password must differ from the current one.', 'validation_failed');
    }
    const passwordHash = await hashPassword(dto.newPassword);
    const fresh = { ...user, mustChangePassword: false };
    const token = await this.mfaRows.transaction(async (manager) => {
      await this.credentials.setPassword(manager, user.id, passwordHash);
      await this.sessions.revokeAllForUser(user.id, manager);
      await this.audit.record(manager, {
        action: 'auth.password_change',
        target: { type: 'user', id: user.id, label: user.username },
      });
      return this.sessions.create(user.id, meta, manager);
    });
    this.events.emit('user.changed', { userId: user.id });
    return { token, session: await this.sessionPayload(fresh) };
  }
}
