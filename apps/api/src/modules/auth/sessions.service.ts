// Opaque session tokens: 32 random bytes to the browser, only their SHA-256 in the database.
// The idle timeout slides (refreshed at most once a minute, to spare writes); the absolute cap
// does not move. A session's permissions are its user's role's, read from the database with the
// session on every request (one query), so a role edited or reassigned applies to the holder's
// next request on every instance, with no cache to invalidate.
import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { mfaRequiredFor, PERMISSIONS, type Permission } from '@codex-lb/shared';
import type { EntityManager } from 'typeorm';
import { SessionAuthenticator } from '../../common/access.guard';
import { DomainEvents } from '../../common/events';
import type { Principal } from '../../common/principal';
import { SETTINGS, type Settings } from '../../config/settings';
import { SessionsRepository } from './sessions.repository';

const TOUCH_INTERVAL_MS = 60_000;

/** The permissions of the vocabulary, in its order (role_permissions only holds known ones). */
function knownPermissions(stored: readonly string[]): ReadonlySet<Permission> {
  const held = new Set(stored);
  return new Set(PERMISSIONS.filter((permission) => held.has(permission)));
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

@Injectable()
export class SessionsService extends SessionAuthenticator implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly events: DomainEvents,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    super();
  }

  onModuleInit(): void {
    // Rows of deleted, deactivated or re-passworded users are already invalid by the lookup's
    // rules; removing them keeps the table small.
    this.events.on('user.changed', ({ userId }) => {
      void this.sessions.deleteForUserIfInvalid(userId).catch(() => undefined);
    });
    this.sweeper = setInterval(() => {
      void this.sessions.deleteExpired(this.settings.sessionIdleTimeoutSeconds).catch(() => undefined);
    }, 3_600_000);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** A new session; `manager` puts it in the caller's transaction (with its audit row). */
  async create(
    userId: string,
    meta: { ip: string | null; userAgent: string | null },
    manager?: EntityManager,
    options: { mfaAtProvider?: boolean } = {},
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.sessions.create(
      {
        tokenHash: hashToken(token),
        userId,
        expiresInSeconds: this.settings.sessionAbsoluteTimeoutSeconds,
        ip: meta.ip,
        userAgent: meta.userAgent?.slice(0, 256) ?? null,
        mfaAtProvider: options.mfaAtProvider,
      },
      manager,
    );
    return token;
  }

  async authenticate(token: string): Promise<Principal | null> {
    if (token.length > 128) return null;
    const row = await this.sessions.findValid(hashToken(token), this.settings.sessionIdleTimeoutSeconds);
    if (!row) return null;
    if (Date.now() - new Date(row.lastSeenAt).getTime() > TOUCH_INTERVAL_MS) {
      await this.sessions.touch(row.sessionId);
    }
    const permissions = knownPermissions(row.permissions);
    return {
      kind: 'session',
      userId: row.userId,
      username: row.username,
      role: row.role,
      permissions,
      mustChangePassword: row.mustChangePassword,
      sessionId: row.sessionId,
      mfa: { enrolled: row.mfaEnrolled, required: mfaRequiredFor(this.settings.mfaPolicy, permissions) },
      hasPassword: row.hasPassword,
    };
  }

  /** The effective permissions of a user, as a session of theirs would hold them now. */
  async permissionsOf(userId: string): Promise<Permission[]> {
    return [...knownPermissions(await this.sessions.permissionsOf(userId))];
  }

  /** Ends one session; true when it existed. */
  revoke(token: string, manager?: EntityManager): Promise<boolean> {
    return this.sessions.deleteByTokenHash(hashToken(token), manager);
  }

  revokeAllForUser(userId: string, manager?: EntityManager): Promise<void> {
    return this.sessions.deleteForUser(userId, manager);
  }
}
