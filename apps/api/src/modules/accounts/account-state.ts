// The one place that says what state an upstream account is in, what moves it to another, and
// whether it can serve a request now. Pure: no clock, no database. The accounts module persists
// the result (AccountStateService) and the proxy keeps the same state in memory (AccountPool);
// both call `transition` with the same events, so they cannot disagree on the rules.
//
// States (persisted in accounts.status, status_reason and cooldown_until):
//   active            serves requests.
//   rate_limited      cooling down until `cooldownUntil` after an upstream 429; serves again once
//                     that time has passed (no event needed: see `settle`).
//   quota_exceeded    a quota window is at 100% until its reset (`cooldownUntil`); cleared by the
//                     reset time or by a fresh observation that every known window is below 100%.
//   reauth_required   the refresh token was refused: only a new sign-in brings it back.
//   deactivated       upstream refused the account itself (402/403, e.g. a deactivated
//                     workspace, or the auth server said it is gone): back after a new sign-in or
//                     when its owner resumes it.
//   paused            by its owner; background events never override a pause.
// Backing off (after a 5xx or a connection error) is short and kept in memory only
// (`backoffUntil`): it would be stale before a write could land anywhere useful.
import type { AccountStatus } from './account.entity';

export interface AccountState {
  status: AccountStatus;
  statusReason: string | null;
  /** Epoch ms until which the account must not serve (429 reset or quota reset), or 0. */
  cooldownUntil: number;
  /** Epoch ms of a brief in-memory backoff after a 5xx or a connection error, or 0. */
  backoffUntil: number;
}

export type AccountEvent =
  /** An upstream 429 whose reset is `until` (epoch ms). */
  | { type: 'rate_limited'; until: number; message?: string }
  /** An upstream 5xx (or a 401 a refresh did not cure). */
  | { type: 'server_error'; backoffMs?: number }
  /** The upstream could not be reached, or a token refresh failed transiently. */
  | { type: 'connection_failed'; backoffMs?: number }
  /** The auth server refused the refresh token: a new sign-in is needed. */
  | { type: 'refresh_refused'; message?: string }
  /**
   * Upstream refused the account itself: HTTP 402/403 on a proxied request (e.g. a deactivated
   * workspace), or the auth server said the account is deactivated (no status then).
   */
  | { type: 'account_refused'; status?: number; message: string }
  /** Quota windows as now known (merged with earlier observations); percentages 0–100+. */
  | {
      type: 'quota';
      primaryUsedPercent: number | null;
      secondaryUsedPercent: number | null;
      primaryResetsAt: number | null;
      secondaryResetsAt: number | null;
    }
  | { type: 'paused'; message?: string }
  /** The owner resumes (or reactivates) the account. Refused for reauth_required: see resumeBlocker. */
  | { type: 'resumed' }
  /** A new sign-in replaced every token of the seat. */
  | { type: 'reauthenticated' }
  /** A token refresh succeeded: the refresh token works again. */
  | { type: 'refreshed' };

export type AccountEventType = AccountEvent['type'];

export type Usability =
  | { usable: true; reason: 'active' }
  | { usable: false; reason: 'paused' | 'reauth_required' | 'deactivated' }
  /** Temporarily unusable; `retryAt` is the epoch ms at which it may serve again. */
  | { usable: false; reason: 'cooling_down' | 'quota_exhausted' | 'backing_off'; retryAt: number };

export type UnusableReason = Exclude<Usability['reason'], 'active'>;

export const BACKOFF_MS = 5_000;
/** A window at 100% whose reset time is unknown is retried after this long. */
export const UNKNOWN_RESET_COOLDOWN_MS = 5 * 60_000;
/** A 429 without a usable reset still cools the account down at least this long. */
export const MIN_COOLDOWN_MS = 1_000;
const MAX_REASON_CHARS = 500;

const RATE_LIMIT_REASON = 'The upstream usage limit is reached until the window resets.';
const QUOTA_REASON = 'The usage limit is reached until the window resets.';
const REFRESH_REFUSED_REASON = 'Sign in again: the refresh token was refused.';

/** Statuses that only an action of the owner (sign-in, resume) ends. */
const NEEDS_OWNER = new Set<AccountStatus>(['paused', 'reauth_required', 'deactivated']);

export const ACTIVE_STATE: Readonly<AccountState> = Object.freeze({
  status: 'active',
  statusReason: null,
  cooldownUntil: 0,
  backoffUntil: 0,
});

function clip(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 1)}…` : text;
}

function patch(state: AccountState, change: Partial<AccountState>): AccountState {
  return { ...state, ...change };
}

/** A cooldown whose time has passed is over: the account is active again. */
export function settle(state: AccountState, now: number): AccountState {
  if ((state.status === 'rate_limited' || state.status === 'quota_exceeded') && state.cooldownUntil <= now) {
    return patch(state, { status: 'active', statusReason: null, cooldownUntil: 0 });
  }
  return state;
}

/** The latest reset among windows at 100% whose reset is still ahead, or null when none is exhausted. */
function exhaustedUntil(event: Extract<AccountEvent, { type: 'quota' }>, now: number): number | null {
  let until: number | null = null;
  const windows: [number | null, number | null][] = [
    [event.primaryUsedPercent, event.primaryResetsAt],
    [event.secondaryUsedPercent, event.secondaryResetsAt],
  ];
  for (const [used, resetsAt] of windows) {
    if (used === null || used < 100) continue;
    if (resetsAt !== null && resetsAt <= now) continue; // the window has reset since it was seen
    const end = resetsAt ?? now + UNKNOWN_RESET_COOLDOWN_MS;
    until = until === null ? end : Math.max(until, end);
  }
  return until;
}

/** The state after `event` at time `now`. Returns the same object when nothing changes. */
export function transition(state: AccountState, event: AccountEvent, now: number): AccountState {
  const current = settle(state, now);
  switch (event.type) {
    case 'rate_limited': {
      if (NEEDS_OWNER.has(current.status)) return current;
      const until = Math.max(event.until, now + MIN_COOLDOWN_MS, current.cooldownUntil);
      // A 429 on an account already out of quota keeps saying why: the quota.
      if (current.status === 'quota_exceeded') {
        return until === current.cooldownUntil ? current : patch(current, { cooldownUntil: until });
      }
      const reason = clip(event.message ?? RATE_LIMIT_REASON);
      if (current.status === 'rate_limited' && until === current.cooldownUntil && reason === current.statusReason) {
        return current;
      }
      return patch(current, { status: 'rate_limited', statusReason: reason, cooldownUntil: until });
    }
    case 'server_error':
    case 'connection_failed': {
      const until = now + (event.backoffMs ?? BACKOFF_MS);
      return until > current.backoffUntil ? patch(current, { backoffUntil: until }) : current;
    }
    case 'refresh_refused':
      if (current.status === 'paused') return current;
      return patch(current, {
        status: 'reauth_required',
        statusReason: clip(event.message ?? REFRESH_REFUSED_REASON),
        cooldownUntil: 0,
      });
    case 'account_refused': {
      if (current.status === 'paused') return current;
      const prefix = event.status
        ? `The upstream refused this account (HTTP ${event.status})`
        : 'The upstream refused this account';
      return patch(current, {
        status: 'deactivated',
        statusReason: clip(event.message ? `${prefix}: ${event.message}` : `${prefix}.`),
        cooldownUntil: 0,
      });
    }
    case 'quota': {
      if (NEEDS_OWNER.has(current.status)) return current;
      const until = exhaustedUntil(event, now);
      if (until !== null) {
        const cooldownUntil = Math.max(until, current.status === 'rate_limited' ? current.cooldownUntil : 0);
        if (current.status === 'quota_exceeded' && current.cooldownUntil === cooldownUntil) return current;
        return patch(current, { status: 'quota_exceeded', statusReason: QUOTA_REASON, cooldownUntil });
      }
      // Every known window is below 100%: a quota cooldown is over. A 429's cooldown is not: the
      // upstream said when, and its quota headers may not cover what it limited.
      const known = event.primaryUsedPercent !== null || event.secondaryUsedPercent !== null;
      if (current.status === 'quota_exceeded' && known) {
        return patch(current, { status: 'active', statusReason: null, cooldownUntil: 0 });
      }
      return current;
    }
    case 'paused': {
      const reason = clip(event.message ?? 'Paused by its owner.');
      if (current.status === 'paused' && current.statusReason === reason) return current;
      return patch(current, { status: 'paused', statusReason: reason, cooldownUntil: 0 });
    }
    case 'resumed':
      if (current.status === 'reauth_required') return current;
      return patch(current, { status: 'active', statusReason: null, cooldownUntil: 0, backoffUntil: 0 });
    case 'reauthenticated':
      if (current.status === 'paused') return current;
      return patch(current, { status: 'active', statusReason: null, cooldownUntil: 0, backoffUntil: 0 });
    case 'refreshed':
      if (current.status !== 'reauth_required') return current;
      return patch(current, { status: 'active', statusReason: null, cooldownUntil: 0 });
  }
}

/** Why an owner cannot resume the account, or null when they can. */
export function resumeBlocker(state: AccountState): string | null {
  return state.status === 'reauth_required' ? 'This account needs a new sign-in before it can be resumed.' : null;
}

/** Shared answer for the common case: the selector asks for every candidate on every request. */
const USABLE: Usability = Object.freeze({ usable: true, reason: 'active' });

/** Whether the account can serve a request at `now`, and if not, why and until when. */
export function usability(state: AccountState, now: number): Usability {
  switch (state.status) {
    case 'paused':
    case 'reauth_required':
    case 'deactivated':
      return { usable: false, reason: state.status };
  }
  if (state.cooldownUntil > now) {
    return {
      usable: false,
      reason: state.status === 'quota_exceeded' ? 'quota_exhausted' : 'cooling_down',
      retryAt: Math.max(state.cooldownUntil, state.backoffUntil),
    };
  }
  if (state.backoffUntil > now) return { usable: false, reason: 'backing_off', retryAt: state.backoffUntil };
  return USABLE;
}

/** Whether two states differ in what is persisted (status, reason, cooldown). */
export function persistedChange(before: AccountState, after: AccountState): boolean {
  return (
    before.status !== after.status ||
    before.statusReason !== after.statusReason ||
    before.cooldownUntil !== after.cooldownUntil
  );
}

/** The state stored in an account row (the backoff lives in memory only). */
export function stateOfRow(row: {
  status: AccountStatus;
  statusReason: string | null;
  cooldownUntil: Date | null;
}): AccountState {
  return {
    status: row.status,
    statusReason: row.statusReason,
    cooldownUntil: row.cooldownUntil?.getTime() ?? 0,
    backoffUntil: 0,
  };
}
