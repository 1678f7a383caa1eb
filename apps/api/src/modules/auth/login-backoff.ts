// Per-username backoff after repeated failed logins, on top of the per-IP throttle. Keyed by the
// submitted name whether or not such a user exists, so the answer reveals nothing.
import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS, type Settings } from '../../config/settings';

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

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {}

  /** Seconds until the name may try again, or 0. */
  retryAfterSeconds(username: string, now = Date.now()): number {
    const entry = this.entries.get(username.toLowerCase());
    if (!entry) return 0;
    if (now - entry.lastFailureAt > FORGET_AFTER_MS) {
      this.entries.delete(username.toLowerCase());
      return 0;
    }
    return entry.lockedUntil > now ? Math.ceil((entry.lockedUntil - now) / 1000) : 0;
  }

  recordFailure(username: string, now = Date.now()): void {
    const key = username.toLowerCase();
    if (!this.entries.has(key) && this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const entry = this.entries.get(key) ?? { failures: 0, lockedUntil: 0, lastFailureAt: now };
    entry.failures += 1;
    entry.lastFailureAt = now;
    const over = entry.failures - this.settings.loginFailuresBeforeBackoff;
    if (over >= 0) entry.lockedUntil = now + Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** over);
    this.entries.set(key, entry);
  }

  recordSuccess(username: string): void {
    this.entries.delete(username.toLowerCase());
  }
}
