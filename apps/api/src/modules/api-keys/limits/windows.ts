// Limit windows are fixed calendar windows in UTC, not sliding ones: a fixed window needs one
// counter per limit (a sliding one needs a ring of buckets), resets at a time we can tell the
// client in Retry-After, and matches how people read "daily" or "monthly" on the dashboard.
//   minute  - aligned to the epoch minute
//   5h      - aligned to the epoch in 5-hour steps (00:00, 05:00, 10:00, ... of 1970-01-01 UTC)
//   daily   - UTC midnight to midnight
//   weekly  - Monday 00:00 UTC to the next Monday
//   monthly - the 1st 00:00 UTC to the 1st of the next month
import type { ApiKeyLimitWindow } from '@codex-lb/shared';

export interface WindowBounds {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive: when the window resets. */
  end: number;
}

const MINUTE = 60_000;
const FIVE_HOURS = 5 * 60 * MINUTE;
const DAY = 24 * 60 * MINUTE;

export function windowBounds(window: ApiKeyLimitWindow, now: number): WindowBounds {
  switch (window) {
    case 'minute': {
      const start = now - (now % MINUTE);
      return { start, end: start + MINUTE };
    }
    case '5h': {
      const start = now - (now % FIVE_HOURS);
      return { start, end: start + FIVE_HOURS };
    }
    case 'daily': {
      const start = now - (now % DAY);
      return { start, end: start + DAY };
    }
    case 'weekly': {
      const day = now - (now % DAY);
      // getUTCDay: 0 = Sunday; weeks start on Monday (ISO 8601).
      const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
      const start = day - sinceMonday * DAY;
      return { start, end: start + 7 * DAY };
    }
    case 'monthly': {
      const date = new Date(now);
      const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
      const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
      return { start, end };
    }
  }
}

/** Windows whose settled usage is persisted; a lost minute counter after a restart is harmless. */
export const PERSISTED_WINDOWS: readonly ApiKeyLimitWindow[] = ['5h', 'daily', 'weekly', 'monthly'];
