// The request-log page cursor: the (requested_at, id) of the last row served, opaque to clients.
// The timestamp keeps Postgres's microseconds as text, because a JS Date would round them away
// and make keyset pagination skip or repeat rows that share a millisecond.
import { ApiError } from '../../common/api-error';

export interface LogCursor {
  /** ISO 8601 with up to microsecond precision, e.g. 2025-01-02T03:04:05.123456Z. */
  at: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

export function encodeCursor(cursor: LogCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(value: string): LogCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    typeof parsed[1] !== 'string' ||
    !TIMESTAMP.test(parsed[0]) ||
    Number.isNaN(Date.parse(parsed[0])) ||
    !UUID.test(parsed[1])
  ) {
    throw ApiError.badRequest('cursor is not a value returned as nextCursor.', 'validation_failed');
  }
  return { at: parsed[0], id: parsed[1] };
}
