// Turns the optional from/to of a query into a checked range. Reports read hourly rollups, so
// their ranges are widened to whole UTC hours; request logs use the range as given.
import { ApiError } from '../../common/api-error';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const MAX_RANGE_DAYS = 400;

export interface TimeRange {
  from: Date;
  to: Date;
}

/** `to` defaults to now and `from` to `defaultSpanMs` before `to`; `to` must follow `from`. */
export function resolveRange(
  from: string | undefined,
  to: string | undefined,
  defaultSpanMs: number,
  now = new Date(),
): TimeRange {
  const end = to ? new Date(to) : now;
  const start = from ? new Date(from) : new Date(end.getTime() - defaultSpanMs);
  if (end.getTime() <= start.getTime()) throw ApiError.badRequest('to must be later than from.', 'validation_failed');
  if (end.getTime() - start.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw ApiError.badRequest(`The range may span at most ${MAX_RANGE_DAYS} days.`, 'validation_failed');
  }
  return { from: start, to: end };
}

/** from rounded down and to rounded up to whole UTC hours. */
export function alignToHours(range: TimeRange): TimeRange {
  return {
    from: new Date(Math.floor(range.from.getTime() / HOUR_MS) * HOUR_MS),
    to: new Date(Math.ceil(range.to.getTime() / HOUR_MS) * HOUR_MS),
  };
}

/** The period of equal length that ends where `range` starts. */
export function previousPeriod(range: TimeRange): TimeRange {
  const span = range.to.getTime() - range.from.getTime();
  return { from: new Date(range.from.getTime() - span), to: range.from };
}
