import type { AccountStatus } from './account.entity';
import {
  ACTIVE_STATE,
  BACKOFF_MS,
  MIN_COOLDOWN_MS,
  UNKNOWN_RESET_COOLDOWN_MS,
  persistedChange,
  resumeBlocker,
  settle,
  stateOfRow,
  transition,
  usability,
  type AccountEvent,
  type AccountState,
} from './account-state';

const NOW = 1_700_000_000_000;
const MIN = 60_000;

function state(status: AccountStatus, change: Partial<AccountState> = {}): AccountState {
  const base: AccountState = { ...ACTIVE_STATE, status };
  if (status === 'rate_limited' || status === 'quota_exceeded') base.cooldownUntil = NOW + 10 * MIN;
  if (status !== 'active') base.statusReason = `was ${status}`;
  return { ...base, ...change };
}

function quota(primary: number | null, secondary: number | null, resets: Partial<Record<'p' | 's', number>> = {}) {
  return {
    type: 'quota',
    primaryUsedPercent: primary,
    secondaryUsedPercent: secondary,
    primaryResetsAt: resets.p ?? null,
    secondaryResetsAt: resets.s ?? null,
  } satisfies AccountEvent;
}

const OWNER_STATES: AccountStatus[] = ['paused', 'reauth_required', 'deactivated'];
const ALL_STATES: AccountStatus[] = ['active', 'rate_limited', 'quota_exceeded', ...OWNER_STATES];

describe('account state: rate_limited (429 with a reset)', () => {
  it('cools an active account down until the reset', () => {
    const next = transition(state('active'), { type: 'rate_limited', until: NOW + 15 * MIN, message: 'limit' }, NOW);
    expect(next).toEqual({
      status: 'rate_limited',
      statusReason: 'limit',
      cooldownUntil: NOW + 15 * MIN,
      backoffUntil: 0,
    });
  });

  it('never shortens a cooldown, and cools down at least a second for a reset in the past', () => {
    const cooling = state('rate_limited', { cooldownUntil: NOW + 30 * MIN });
    expect(transition(cooling, { type: 'rate_limited', until: NOW + MIN }, NOW).cooldownUntil).toBe(NOW + 30 * MIN);
    expect(transition(state('active'), { type: 'rate_limited', until: NOW - MIN }, NOW).cooldownUntil).toBe(
      NOW + MIN_COOLDOWN_MS,
    );
  });

  it('returns the same state when a repeated 429 changes nothing', () => {
    const cooling = transition(state('active'), { type: 'rate_limited', until: NOW + MIN }, NOW);
    expect(transition(cooling, { type: 'rate_limited', until: NOW + MIN }, NOW)).toBe(cooling);
  });

  it('keeps an account out of quota saying so, with the later of both times', () => {
    const out = state('quota_exceeded', { cooldownUntil: NOW + MIN });
    const next = transition(out, { type: 'rate_limited', until: NOW + 5 * MIN }, NOW);
    expect(next).toMatchObject({
      status: 'quota_exceeded',
      statusReason: 'was quota_exceeded',
      cooldownUntil: NOW + 5 * MIN,
    });
  });

  it.each(OWNER_STATES)('leaves a %s account alone', (status) => {
    const before = state(status);
    expect(transition(before, { type: 'rate_limited', until: NOW + MIN }, NOW)).toBe(before);
  });
});

describe('account state: server_error and connection_failed (short backoff, memory only)', () => {
  it.each(['server_error', 'connection_failed'] as const)('%s backs off without changing what is persisted', (type) => {
    const before = state('active');
    const next = transition(before, { type }, NOW);
    expect(next.backoffUntil).toBe(NOW + BACKOFF_MS);
    expect(persistedChange(before, next)).toBe(false);
    expect(transition(before, { type, backoffMs: 100 }, NOW).backoffUntil).toBe(NOW + 100);
  });

  it('never shortens a backoff', () => {
    const backing = state('active', { backoffUntil: NOW + 60_000 });
    expect(transition(backing, { type: 'server_error' }, NOW)).toBe(backing);
  });
});

describe('account state: refresh_refused', () => {
  it.each(['active', 'rate_limited', 'quota_exceeded', 'deactivated'] as const)(
    'makes a %s account need a new sign-in',
    (status) => {
      const next = transition(state(status), { type: 'refresh_refused', message: 'sign in' }, NOW);
      expect(next).toMatchObject({ status: 'reauth_required', statusReason: 'sign in', cooldownUntil: 0 });
    },
  );

  it('has a default reason and never overrides a pause', () => {
    expect(transition(state('active'), { type: 'refresh_refused' }, NOW).statusReason).toMatch(/sign in again/i);
    const paused = state('paused');
    expect(transition(paused, { type: 'refresh_refused' }, NOW)).toBe(paused);
  });
});

describe('account state: account_refused (upstream 402/403)', () => {
  it.each(['active', 'rate_limited', 'quota_exceeded', 'reauth_required'] as const)(
    'deactivates a %s account with the upstream message',
    (status) => {
      const next = transition(
        state(status),
        { type: 'account_refused', status: 402, message: 'Workspace is deactivated' },
        NOW,
      );
      expect(next.status).toBe('deactivated');
      expect(next.statusReason).toBe('The upstream refused this account (HTTP 402): Workspace is deactivated');
      expect(next.cooldownUntil).toBe(0);
    },
  );

  it('words a refusal without a status, clips a long message, and never overrides a pause', () => {
    expect(transition(state('active'), { type: 'account_refused', message: '' }, NOW).statusReason).toBe(
      'The upstream refused this account.',
    );
    const long = transition(state('active'), { type: 'account_refused', status: 403, message: 'x'.repeat(5000) }, NOW);
    expect(long.statusReason!.length).toBeLessThanOrEqual(500);
    const paused = state('paused');
    expect(transition(paused, { type: 'account_refused', status: 403, message: 'no' }, NOW)).toBe(paused);
  });
});

describe('account state: quota', () => {
  it('marks an account out of quota until the later reset of the exhausted windows', () => {
    const next = transition(state('active'), quota(100, 100, { p: NOW + 10 * MIN, s: NOW + 60 * MIN }), NOW);
    expect(next).toMatchObject({ status: 'quota_exceeded', cooldownUntil: NOW + 60 * MIN });
    expect(transition(state('active'), quota(40, 100, { p: NOW + 10 * MIN, s: NOW + 60 * MIN }), NOW)).toMatchObject({
      status: 'quota_exceeded',
      cooldownUntil: NOW + 60 * MIN,
    });
  });

  it('uses a short retry when the reset is unknown, and ignores a window whose reset has passed', () => {
    expect(transition(state('active'), quota(100, null), NOW).cooldownUntil).toBe(NOW + UNKNOWN_RESET_COOLDOWN_MS);
    const stale = state('active');
    expect(transition(stale, quota(100, 20, { p: NOW - 1 }), NOW)).toBe(stale);
  });

  it('turns a 429 cooldown into a quota one, keeping the later time', () => {
    const cooling = state('rate_limited', { cooldownUntil: NOW + 90 * MIN });
    expect(transition(cooling, quota(100, 0, { p: NOW + 10 * MIN }), NOW)).toMatchObject({
      status: 'quota_exceeded',
      cooldownUntil: NOW + 90 * MIN,
    });
  });

  it('moves the reset of an account already out of quota, and changes nothing when it is the same', () => {
    const out = state('quota_exceeded', { cooldownUntil: NOW + 10 * MIN });
    expect(transition(out, quota(100, 0, { p: NOW + 20 * MIN }), NOW).cooldownUntil).toBe(NOW + 20 * MIN);
    const same = transition(out, quota(100, 0, { p: NOW + 20 * MIN }), NOW);
    expect(transition(same, quota(100, 0, { p: NOW + 20 * MIN }), NOW)).toBe(same);
  });

  it('ends a quota cooldown when every known window is below 100%, but not a 429 cooldown', () => {
    expect(transition(state('quota_exceeded'), quota(3, null), NOW)).toMatchObject({
      status: 'active',
      statusReason: null,
      cooldownUntil: 0,
    });
    const out = state('quota_exceeded');
    expect(transition(out, quota(null, null), NOW)).toBe(out);
    const cooling = state('rate_limited');
    expect(transition(cooling, quota(3, 3), NOW)).toBe(cooling);
    const active = state('active');
    expect(transition(active, quota(99, 99), NOW)).toBe(active);
  });

  it.each(OWNER_STATES)('leaves a %s account alone', (status) => {
    const before = state(status);
    expect(transition(before, quota(100, 100, { p: NOW + MIN }), NOW)).toBe(before);
  });
});

describe('account state: owner actions', () => {
  it.each(ALL_STATES)('pauses a %s account, clearing its cooldown', (status) => {
    const next = transition(state(status), { type: 'paused', message: 'Paused by alice' }, NOW);
    expect(next).toMatchObject({ status: 'paused', statusReason: 'Paused by alice', cooldownUntil: 0 });
  });

  it.each(['paused', 'rate_limited', 'quota_exceeded', 'deactivated', 'active'] as const)(
    'resumes a %s account',
    (status) => {
      const next = transition(state(status, { backoffUntil: NOW + 1000 }), { type: 'resumed' }, NOW);
      expect(next).toEqual(ACTIVE_STATE);
      expect(resumeBlocker(state(status))).toBeNull();
    },
  );

  it('refuses to resume an account that needs a new sign-in', () => {
    const before = state('reauth_required');
    expect(transition(before, { type: 'resumed' }, NOW)).toBe(before);
    expect(resumeBlocker(before)).toMatch(/sign-in/);
  });

  it.each(['active', 'rate_limited', 'quota_exceeded', 'reauth_required', 'deactivated'] as const)(
    'reactivates a %s account on a new sign-in',
    (status) => {
      expect(transition(state(status), { type: 'reauthenticated' }, NOW)).toEqual(ACTIVE_STATE);
    },
  );

  it('keeps a pause (and its reason) through a new sign-in', () => {
    const paused = state('paused', { statusReason: 'Paused by alice' });
    expect(transition(paused, { type: 'reauthenticated' }, NOW)).toBe(paused);
  });
});

describe('account state: refreshed', () => {
  it('ends reauth_required and nothing else', () => {
    expect(transition(state('reauth_required'), { type: 'refreshed' }, NOW)).toMatchObject({ status: 'active' });
    for (const status of ['active', 'paused', 'deactivated', 'quota_exceeded', 'rate_limited'] as const) {
      const before = state(status);
      expect(transition(before, { type: 'refreshed' }, NOW)).toBe(before);
    }
  });
});

describe('account state: time', () => {
  it('settles an expired cooldown to active before applying an event', () => {
    const expired = state('rate_limited', { cooldownUntil: NOW - 1 });
    expect(settle(expired, NOW)).toMatchObject({ status: 'active', statusReason: null, cooldownUntil: 0 });
    expect(settle(state('quota_exceeded', { cooldownUntil: NOW }), NOW).status).toBe('active');
    const live = state('rate_limited');
    expect(settle(live, NOW)).toBe(live);
    const next = transition(expired, { type: 'server_error' }, NOW);
    expect(next).toMatchObject({ status: 'active', backoffUntil: NOW + BACKOFF_MS });
    expect(persistedChange(expired, next)).toBe(true);
  });
});

describe('account state: usability', () => {
  it('is usable when active and not backing off', () => {
    expect(usability(state('active'), NOW)).toEqual({ usable: true, reason: 'active' });
    expect(usability(state('active', { backoffUntil: NOW }), NOW).usable).toBe(true);
  });

  it.each(OWNER_STATES)('%s is unusable until its owner acts (no retry time)', (status) => {
    expect(usability(state(status, { backoffUntil: NOW + 1000 }), NOW)).toEqual({ usable: false, reason: status });
  });

  it('says until when a temporarily unusable account may serve again', () => {
    expect(usability(state('rate_limited', { cooldownUntil: NOW + MIN }), NOW)).toEqual({
      usable: false,
      reason: 'cooling_down',
      retryAt: NOW + MIN,
    });
    expect(usability(state('quota_exceeded', { cooldownUntil: NOW + MIN, backoffUntil: NOW + 2 * MIN }), NOW)).toEqual({
      usable: false,
      reason: 'quota_exhausted',
      retryAt: NOW + 2 * MIN,
    });
    expect(usability(state('active', { backoffUntil: NOW + 500 }), NOW)).toEqual({
      usable: false,
      reason: 'backing_off',
      retryAt: NOW + 500,
    });
  });

  it('treats a cooldown that has run out as usable', () => {
    expect(usability(state('rate_limited', { cooldownUntil: NOW }), NOW).usable).toBe(true);
    expect(usability(state('quota_exceeded', { cooldownUntil: NOW - 1 }), NOW).usable).toBe(true);
  });
});

describe('account state: rows', () => {
  it('reads the persisted part of a row, without a backoff', () => {
    expect(stateOfRow({ status: 'rate_limited', statusReason: 'r', cooldownUntil: new Date(NOW) })).toEqual({
      status: 'rate_limited',
      statusReason: 'r',
      cooldownUntil: NOW,
      backoffUntil: 0,
    });
    expect(stateOfRow({ status: 'active', statusReason: null, cooldownUntil: null }).cooldownUntil).toBe(0);
  });

  it('tells persisted changes from memory-only ones', () => {
    const a = state('active');
    expect(persistedChange(a, { ...a, backoffUntil: NOW })).toBe(false);
    expect(persistedChange(a, { ...a, statusReason: 'x' })).toBe(true);
    expect(persistedChange(a, { ...a, cooldownUntil: 1 })).toBe(true);
    expect(persistedChange(a, { ...a, status: 'paused' })).toBe(true);
  });
});
