// Backoff after repeated wrong secrets, keyed by (client address, what was tried): a username at
// sign-in, a user for a password change or a second-factor code. Only the client that has been
// failing waits; the same name from any other address, and a correct answer from a client that
// has not been failing, are never refused, so nobody can keep `admin` locked out from elsewhere.
// Keyed by the submitted name whether or not such a user exists, so the answer reveals nothing.
//
// In memory. With several replicas (CODEX_LB_REDIS_URL) every failure and success is also sent
// to the others on the replica bus and applied there, so a client spraying several replicas
// meets one count; a replica started later knows only what happened since (locks last 15 minutes
// at most). The per-address throttle (CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE) bounds the rate of
// tries in any case.
import { Inject, Injectable, Optional } from '@nestjs/common';
import { SETTINGS, type Settings } from '../../config/settings';
import { ReplicaBus } from '../redis/replica-bus';

/** A failure or success at one replica, applied by the others. */
interface BackoffMessage {
  subject: string;
  client: string | null;
  at: number;
  ok: boolean;
}

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailureAt: number;
}

const BASE_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;
const FORGET_AFTER_MS = 60 * 60_000;
const MAX_ENTRIES = 100_000;

@Injectable()
export class LoginBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @Optional() private readonly replicas?: ReplicaBus,
  ) {
    replicas?.on('backoff', (message) => {
      const { subject, client, at, ok } = message as BackoffMessage;
      if (ok) this.forget(subject, client);
      else this.count(subject, client, at);
    });
  }

  private key(subject: string, client: string | null): string {
    return `${client ?? '-'}\n${subject.toLowerCase()}`;
  }

  /** Seconds until this client may try this subject again, or 0. */
  retryAfterSeconds(subject: string, client: string | null, now = Date.now()): number {
    const key = this.key(subject, client);
    const entry = this.entries.get(key);
    if (!entry) return 0;
    if (now - entry.lastFailureAt > FORGET_AFTER_MS) {
      this.entries.delete(key);
      return 0;
    }
    return entry.lockedUntil > now ? Math.ceil((entry.lockedUntil - now) / 1000) : 0;
  }

  recordFailure(subject: string, client: string | null, now = Date.now()): void {
    this.count(subject, client, now);
    this.replicas?.publish('backoff', { subject, client, at: now, ok: false } satisfies BackoffMessage);
  }

  recordSuccess(subject: string, client: string | null): void {
    this.forget(subject, client);
    this.replicas?.publish('backoff', { subject, client, at: Date.now(), ok: true } satisfies BackoffMessage);
  }

  private count(subject: string, client: string | null, now: number): void {
    const key = this.key(subject, client);
    if (!this.entries.has(key) && this.entries.size >= MAX_ENTRIES) {
      // Map order is insertion order: the entry failed least recently goes first.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const entry = this.entries.get(key) ?? { failures: 0, lockedUntil: 0, lastFailureAt: now };
    this.entries.delete(key);
    entry.failures += 1;
    entry.lastFailureAt = now;
    const over = entry.failures - this.settings.loginFailuresBeforeBackoff;
    if (over >= 0) entry.lockedUntil = now + Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** over);
    this.entries.set(key, entry);
  }

  private forget(subject: string, client: string | null): void {
    this.entries.delete(this.key(subject, client));
  }
}
