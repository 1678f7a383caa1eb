// The entry the proxy hands to RequestLogWriter for every request, and the clean-up applied
// before it is buffered: every value made to fit its column (texts without NUL or lone
// surrogates, cut to the column's length; numbers in range), so Postgres takes the row.
import type { RequestLogDto } from '@codex-lb/shared';
import { uuidv7 } from '../../common/uuid7';
import { storableTextOrNull } from '../../common/write-behind/storable-text';

/**
 * The fields a log row stores, as the dashboard reads them, minus what the read side joins in
 * (names and labels); the proxy adds its request id and the time as a Date.
 */
export type RequestLogEntry = Omit<
  RequestLogDto,
  'id' | 'requestedAt' | 'ownerUsername' | 'apiKeyName' | 'accountLabel' | 'endUser'
> & {
  /** The request's uuid; a repeated id is stored (and counted) once. */
  requestId: string;
  requestedAt: Date;
  /** The raw x-codex-lb-end-user header (cleaned by sanitizeEntry); absent means none. */
  endUser?: string | string[] | null;
};

/** The header a caller names its own end user in (never forwarded upstream). */
export const END_USER_HEADER = 'x-codex-lb-end-user';
/** request_logs.end_user is varchar(128). */
export const END_USER_MAX = 128;

// C0 and C1 controls (tab, newline and NUL included), DEL, and the invisible format characters
// that could make a label look like another one (bidi overrides and isolates, zero-width marks).
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;
const HIGH_LATIN1 = /[\u0080-\u00ff]/;
// eslint-disable-next-line no-control-regex -- the whole Latin-1 range, NUL included
const ABOVE_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * The end-user label a caller sent, made fit to store and show: the first value when the header
 * was repeated; UTF-8 bytes that Node read as Latin-1 decoded back (a client sending `José` means
 * José); control and invisible format characters removed; spaces trimmed; lone surrogates
 * replaced; cut to 128 characters. Null when nothing printable is left.
 */
export function endUserLabel(value: unknown): string | null {
  let text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text === '') return null;
  if (text.length > END_USER_MAX * 4) text = text.slice(0, END_USER_MAX * 4);
  if (HIGH_LATIN1.test(text) && !ABOVE_LATIN1.test(text)) {
    const decoded = Buffer.from(text, 'latin1').toString('utf8');
    if (!decoded.includes('\ufffd')) text = decoded;
  }
  return storableTextOrNull(text.replace(UNPRINTABLE, '').trim(), END_USER_MAX);
}

const INT_MAX = 2_147_483_647;

/**
 * Owner, key and account ids repeat from entry to entry: ones already checked are remembered
 * (a bounded set, emptied when full) and pass with one lookup.
 */
const CHECKED_IDS = new Set<string>();
const CHECKED_IDS_MAX = 10_000;

function knownUuidOrNull(value: unknown): string | null {
  if (typeof value === 'string' && CHECKED_IDS.has(value)) return value;
  const id = uuidOrNull(value);
  if (id !== null && id === value) {
    if (CHECKED_IDS.size >= CHECKED_IDS_MAX) CHECKED_IDS.clear();
    CHECKED_IDS.add(id);
  }
  return id;
}

/** The uuid in lower case, or null when `value` is not one (checked by hand: every request pays it). */
function uuidOrNull(value: unknown): string | null {
  if (typeof value !== 'string' || value.length !== 36) return null;
  let upper = false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return null;
    } else if (c >= 0x41 && c <= 0x46) {
      upper = true;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) {
      return null;
    }
  }
  return upper ? value.toLowerCase() : value;
}

function count(value: unknown): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  return Math.min(INT_MAX, Math.max(0, Math.round(value)));
}

/** Below numeric(18, 8)'s limit of 10^10. */
const COST_MAX = 9_999_999_999;

/**
 * Cleans the entry in place (the writer owns it from here on) and returns it; null when it cannot
 * be attributed to an owner (it would be invisible to everyone).
 */
export function sanitizeEntry(entry: RequestLogEntry): RequestLogEntry | null {
  const ownerUserId = knownUuidOrNull(entry.ownerUserId);
  if (!ownerUserId) return null;
  const at = entry.requestedAt instanceof Date ? entry.requestedAt : new Date(entry.requestedAt);
  const status = entry.status;
  const cost = entry.costUsd;
  entry.requestId = uuidOrNull(entry.requestId) ?? uuidv7();
  entry.requestedAt = Number.isNaN(at.getTime()) ? new Date() : at;
  entry.ownerUserId = ownerUserId;
  entry.apiKeyId = knownUuidOrNull(entry.apiKeyId);
  entry.accountId = knownUuidOrNull(entry.accountId);
  entry.route = storableTextOrNull(entry.route, 200) ?? 'unknown';
  entry.model = storableTextOrNull(entry.model, 128);
  entry.stream = entry.stream === true;
  entry.status = status === 'success' || status === 'error' || status === 'cancelled' ? status : 'error';
  entry.httpStatus = Math.min(999, count(entry.httpStatus) ?? 0);
  entry.errorCode = storableTextOrNull(entry.errorCode, 100);
  entry.inputTokens = count(entry.inputTokens);
  entry.cachedInputTokens = count(entry.cachedInputTokens);
  entry.outputTokens = count(entry.outputTokens);
  entry.reasoningTokens = count(entry.reasoningTokens);
  entry.costUsd = typeof cost === 'number' && Number.isFinite(cost) ? Math.min(COST_MAX, Math.max(0, cost)) : null;
  entry.latencyMs = count(entry.latencyMs) ?? 0;
  entry.ttfbMs = count(entry.ttfbMs);
  entry.clientIp = storableTextOrNull(entry.clientIp, 64);
  entry.userAgent = storableTextOrNull(entry.userAgent, 500);
  entry.sessionId = storableTextOrNull(entry.sessionId, 200);
  entry.endUser = entry.endUser ? endUserLabel(entry.endUser) : null;
  return entry;
}
