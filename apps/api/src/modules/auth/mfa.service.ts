// Two-factor sign-in: enrolment (password again, a secret, a first code), recovery codes, disable,
// the admin reset, and the second step of sign-in. A TOTP code counts once (its time step is
// recorded atomically); a recovery code counts once (marked used atomically). Wrong codes are
// throttled per (user, client) and, during sign-in, per pending state (five tries, five minutes).
import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { mfaRequiredFor, type MfaStatus, type RecoveryCodesResponse, type TotpSetupResponse } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { TokenVault } from '../../common/crypto/token-vault';
import { DomainEvents } from '../../common/events';
import { verifyPassword } from '../../common/passwords';
import type { Principal } from '../../common/principal';
import { SETTINGS, type Settings } from '../../config/settings';
import { AuditService } from '../audit/audit.service';
import { UsersRepository } from '../users/users.repository';
import type { UserEntity } from '../users/user.entity';
import type { MfaCodeDto } from './dto/mfa.dto';
import { LoginBackoff } from './login-backoff';
import { MfaRepository } from './mfa.repository';
import { newRecoveryCodes, normaliseRecoveryCode, RecoveryCodeHasher } from './recovery-codes';
import { SessionsService } from './sessions.service';
import { matchStep, newTotpSecret, otpauthUrl } from './totp';

/** How long a correct password waits for its second factor. */
export const MFA_PENDING_SECONDS = 300;
/** Wrong codes one pending sign-in may take before the password is asked again. */
export const MFA_PENDING_MAX_FAILURES = 5;
/** How long a secret from setup may be confirmed. */
const SETUP_WINDOW_SECONDS = 15 * 60;
/**
 * Someone without a password proves it is them for enrolment by a recent sign-in at their
 * identity provider: their session must be younger than this.
 */
export const RECENT_SIGN_IN_SECONDS = 10 * 60;

const INVALID_CODE = () => ApiError.unauthenticated('The code is not correct.', 'mfa_invalid_code');

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

@Injectable()
export class MfaService {
  private readonly hasher: RecoveryCodeHasher;

  constructor(
    private readonly mfa: MfaRepository,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly backoff: LoginBackoff,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
    private readonly vault: TokenVault,
    @InjectDataSource() dataSource: DataSource,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    this.hasher = new RecoveryCodeHasher(dataSource, vault);
  }

  isEnrolled(userId: string): Promise<boolean> {
    return this.mfa.isEnrolled(userId);
  }

  async status(principal: Principal): Promise<MfaStatus> {
    const user = this.sessionUser(principal);
    const state = await this.mfa.state(user, SETUP_WINDOW_SECONDS);
    const enrolled = state?.enrolledAt != null;
    return {
      enrolled,
      enrolledAt: enrolled ? new Date(state!.enrolledAt!).toISOString() : null,
      required: mfaRequiredFor(this.settings.mfaPolicy, principal.permissions),
      recoveryCodesRemaining: enrolled ? await this.mfa.remainingRecoveryCodes(user) : 0,
    };
  }

  /**
   * Step 1 of enrolment: the password again (or, for someone who has none, a sign-in of the last
   * few minutes), then a new secret to scan.
   */
  async setup(principal: Principal, password: string | undefined, client: string | null): Promise<TotpSetupResponse> {
    const userId = this.sessionUser(principal);
    const passwordHash = (await this.users.findById(userId))?.passwordHash ?? null;
    if (passwordHash === null) {
      await this.checkRecentSignIn(principal);
    } else if (password === undefined) {
      throw ApiError.badRequest('Enter your current password to set up two-factor sign-in.', 'validation_failed');
    } else {
      await this.checkPassword(userId, passwordHash, password, client);
    }
    const secret = newTotpSecret();
    if (!(await this.mfa.setPending(userId, this.vault.encrypt(secret)))) {
      throw ApiError.conflict(
        'mfa_already_enrolled',
        'Two-factor sign-in is already set up. Turn it off first to set it up again.',
      );
    }
    return { secret, otpauthUrl: otpauthUrl(secret, principal.username) };
  }

  /** Step 2: the first code proves the app holds the secret; the recovery codes are shown once. */
  async confirm(principal: Principal, code: string, client: string | null): Promise<RecoveryCodesResponse> {
    const userId = this.sessionUser(principal);
    const state = await this.mfa.state(userId, SETUP_WINDOW_SECONDS);
    if (state?.enrolledAt) {
      throw ApiError.conflict('mfa_already_enrolled', 'Two-factor sign-in is already set up.');
    }
    if (!state?.pendingSecret || !state.pendingFresh) {
      throw ApiError.conflict('conflict', 'Start the setup again: no setup is waiting, or it is over 15 minutes old.');
    }
    const pending = state.pendingSecret;
    await this.checkTotp(userId, this.vault.decrypt(pending), code, client);
    const codes = newRecoveryCodes();
    const hmacs = await this.hmacs(userId, codes);
    await this.mfa.transaction(async (manager) => {
      if (!(await this.mfa.enrol(manager, userId, pending))) {
        throw ApiError.conflict('conflict', 'The setup changed meanwhile (started again elsewhere). Start it again.');
      }
      await this.mfa.replaceRecoveryCodes(manager, userId, hmacs);
      await this.audit.record(manager, {
        action: 'auth.mfa_enrol',
        target: { type: 'user', id: userId, label: principal.username },
      });
    });
    return { recoveryCodes: codes };
  }

  async disable(principal: Principal, dto: MfaCodeDto, client: string | null): Promise<void> {
    const userId = this.sessionUser(principal);
    const secret = await this.enrolledSecret(userId);
    await this.checkSecondFactor(userId, principal.username, secret, dto, client);
    await this.mfa.transaction(async (manager) => {
      await this.mfa.remove(manager, userId);
      await this.audit.record(manager, {
        action: 'auth.mfa_disable',
        target: { type: 'user', id: userId, label: principal.username },
      });
    });
  }

  async regenerateRecoveryCodes(
    principal: Principal,
    dto: MfaCodeDto,
    client: string | null,
  ): Promise<RecoveryCodesResponse> {
    const userId = this.sessionUser(principal);
    const secret = await this.enrolledSecret(userId);
    await this.checkSecondFactor(userId, principal.username, secret, dto, client);
    const codes = newRecoveryCodes();
    const hmacs = await this.hmacs(userId, codes);
    await this.mfa.transaction(async (manager) => {
      await this.mfa.replaceRecoveryCodes(manager, userId, hmacs);
      await this.audit.record(manager, {
        action: 'auth.mfa_recovery_regenerate',
        target: { type: 'user', id: userId, label: principal.username },
      });
    });
    return { recoveryCodes: codes };
  }

  /**
   * An admin removes another user's second factor (a lost phone and lost codes) and ends their
   * sessions, so the next sign-in is by password alone (then enrolment, if the policy asks).
   * Never one's own: that would let a stolen admin session drop the admin's second factor.
   */
  async adminReset(principal: Principal, targetId: string): Promise<{ enrolled: false }> {
    if (targetId === principal.userId) {
      throw ApiError.forbidden(
        'You cannot reset your own two-factor sign-in. Turn it off from your profile with a code, or ask another admin.',
        'cannot_reset_own_mfa',
      );
    }
    const target = await this.users.findHumanById(targetId);
    if (!target) throw ApiError.notFound('User');
    await this.mfa.transaction(async (manager) => {
      const wasEnrolled = await this.mfa.remove(manager, target.id);
      await this.sessions.revokeAllForUser(target.id, manager);
      await this.audit.record(manager, {
        action: 'user.mfa_reset',
        target: { type: 'user', id: target.id, label: target.username },
        changes: { before: { mfaEnrolled: wasEnrolled }, after: { mfaEnrolled: false } },
      });
    });
    this.events.emit('user.changed', { userId: target.id });
    return { enrolled: false };
  }

  /** After a correct password: the pending sign-in's token (for the pending cookie). */
  async startPendingLogin(userId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.mfa.createPendingLogin(hashToken(token), userId, MFA_PENDING_SECONDS);
    return token;
  }

  /**
   * The second step of sign-in: the user whose pending sign-in this code completes. The pending
   * state is consumed by the caller in the transaction that opens the session (consumePending).
   */
  async verifyPendingLogin(
    token: string | undefined,
    dto: MfaCodeDto,
    client: string | null,
  ): Promise<{ user: UserEntity; pendingId: string }> {
    const expired = () =>
      ApiError.unauthenticated(
        'The sign-in expired or was not started. Sign in with your password again.',
        'mfa_required',
      );
    if (!token || token.length > 128) throw expired();
    const pending = await this.mfa.findPendingLogin(hashToken(token));
    if (!pending) throw expired();
    const user = await this.users.findHumanById(pending.userId);
    if (!user) throw expired();
    const secret = await this.enrolledSecret(user.id).catch(() => {
      throw expired();
    });
    try {
      await this.checkSecondFactor(user.id, user.username, secret, dto, client);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'mfa_invalid_code') {
        const left = await this.mfa.failPendingLogin(pending.id, MFA_PENDING_MAX_FAILURES);
        if (left === 0) {
          throw ApiError.unauthenticated('Too many wrong codes. Sign in with your password again.', 'mfa_required');
        }
      }
      throw error;
    }
    return { user, pendingId: pending.id };
  }

  consumePendingLogin = (manager: Parameters<MfaRepository['consumePendingLogin']>[0], id: string) =>
    this.mfa.consumePendingLogin(manager, id);

  async cancelPendingLogin(token: string | undefined): Promise<void> {
    if (token && token.length <= 128) await this.mfa.deletePendingLogin(hashToken(token));
  }

  private sessionUser(principal: Principal): string {
    if (principal.kind !== 'session') {
      throw ApiError.forbidden('Two-factor sign-in is managed from a dashboard session, not with an API key.');
    }
    return principal.userId;
  }

  private async enrolledSecret(userId: string): Promise<string> {
    const state = await this.mfa.state(userId, SETUP_WINDOW_SECONDS);
    if (!state?.totpSecret) throw ApiError.conflict('mfa_not_enrolled', 'Two-factor sign-in is not set up.');
    return this.vault.decrypt(state.totpSecret);
  }

  private async hmacs(userId: string, codes: string[]): Promise<string[]> {
    return Promise.all(codes.map((code) => this.hasher.hmac(userId, normaliseRecoveryCode(code)!)));
  }

  /**
   * For someone without a password: the session was opened moments ago, at the identity
   * provider, so whoever holds it has just proved who they are there.
   */
  private async checkRecentSignIn(principal: Principal): Promise<void> {
    const age = principal.sessionId ? await this.mfa.sessionAgeSeconds(principal.sessionId) : null;
    if (age === null || age > RECENT_SIGN_IN_SECONDS) {
      throw ApiError.unauthenticated(
        `Sign in again through your identity provider, then set up two-factor sign-in within ${RECENT_SIGN_IN_SECONDS / 60} minutes.`,
        'reauthentication_required',
      );
    }
  }

  /** The password again (setup): throttled per (user, client) like a password change. */
  private async checkPassword(
    userId: string,
    passwordHash: string,
    password: string,
    client: string | null,
  ): Promise<void> {
    const subject = `password:${userId}`;
    const wait = this.backoff.retryAfterSeconds(subject, client);
    if (wait > 0) throw ApiError.rateLimited('Too many wrong passwords. Try again later.', wait);
    if (!(await verifyPassword(password, passwordHash))) {
      this.backoff.recordFailure(subject, client);
      throw ApiError.unauthenticated('The password is not correct.', 'invalid_credentials');
    }
    this.backoff.recordSuccess(subject, client);
  }

  private async checkTotp(userId: string, secret: string, code: string, client: string | null): Promise<void> {
    await this.checkSecondFactor(userId, null, secret, { code }, client);
  }

  /** A TOTP code or a recovery code, each accepted once; wrong ones throttled and audited. */
  private async checkSecondFactor(
    userId: string,
    username: string | null,
    secret: string,
    dto: MfaCodeDto,
    client: string | null,
  ): Promise<void> {
    if ((dto.code === undefined) === (dto.recoveryCode === undefined)) {
      throw ApiError.badRequest('Send either code (6 digits) or recoveryCode.', 'validation_failed');
    }
    const subject = `mfa:${userId}`;
    const wait = this.backoff.retryAfterSeconds(subject, client);
    if (wait > 0) throw ApiError.rateLimited('Too many wrong codes. Try again later.', wait);
    let accepted = false;
    if (dto.code !== undefined) {
      const step = matchStep(secret, dto.code);
      accepted = step !== null && (await this.mfa.acceptStep(userId, step));
    } else if (dto.recoveryCode !== undefined) {
      const normalised = normaliseRecoveryCode(dto.recoveryCode);
      accepted =
        normalised !== null && (await this.mfa.useRecoveryCode(userId, await this.hasher.hmac(userId, normalised)));
    }
    if (!accepted) {
      this.backoff.recordFailure(subject, client);
      this.audit.recordSoon({
        action: 'auth.mfa_failed',
        target: { type: 'user', id: userId, label: username },
        outcome: 'failed',
        reason: dto.recoveryCode !== undefined ? 'recovery code not accepted' : 'code not accepted',
      });
      throw INVALID_CODE();
    }
    this.backoff.recordSuccess(subject, client);
  }
}
