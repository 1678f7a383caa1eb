// Watches a Responses SSE stream as it passes through, without changing a byte: it finds event
// boundaries incrementally and parses only the few events the gateway needs (the response id,
// usage on the terminal event, rate-limit windows). Deltas are skipped by their event name.
import type { QuotaSnapshot, QuotaWindow } from '../../accounts/quota';
import { findMemberStart, findMemberStarts, numberValueAt, stringValueAt, valueAt } from './json-members';
import { blockData, eventLine, eventNamed, SseFrames, singleDataLine } from './sse-frames';

export interface ObservedUsage {
  inputTokens: number | null;
  cachedInputTokens: number | null;
  outputTokens: number | null;
  reasoningTokens: number | null;
}

/**
 * How an upstream response ended, one meaning for every route: `completed` (response.completed,
 * or response.done without a failed or incomplete status), `incomplete` (response.incomplete: cut
 * short, e.g. by max tokens or a content filter; the output so far is an answer), `failed`
 * (response.failed, an `error` event, or response.done with status failed or cancelled), null (the
 * stream ended without any of them). The first terminal event decides; later ones are ignored.
 */
export type TerminalStatus = 'completed' | 'failed' | 'incomplete' | null;

/** The terminal status an event of `type` means (see TerminalStatus), or null when it is not terminal. */
export function terminalOf(type: string, status: unknown = null): TerminalStatus {
  switch (type) {
    case 'response.completed':
      return 'completed';
    case 'response.incomplete':
      return 'incomplete';
    case 'response.failed':
    case 'error':
      return 'failed';
    case 'response.done':
      if (status === 'incomplete') return 'incomplete';
      return status === 'failed' || status === 'cancelled' ? 'failed' : 'completed';
    default:
      return null;
  }
}

/** The error code of a failed ending: the response's error code, the error event's, or a default. */
export function failureCode(type: string, event: Record<string, unknown>): string {
  const response = (event.response ?? {}) as Record<string, unknown>;
  const error = ((type === 'error' ? (event.error ?? event) : response.error) ?? {}) as Record<string, unknown>;
  if (typeof error.code === 'string' && error.code) return error.code;
  if (type === 'error') return typeof error.type === 'string' && error.type ? error.type : 'stream_error';
  return response.status === 'cancelled' ? 'response_cancelled' : 'response_failed';
}

/** Why an incomplete response stopped (incomplete_details.reason, e.g. max_output_tokens). */
export function incompleteReasonOf(details: unknown): string | null {
  const reason = (details as Record<string, unknown> | null | undefined)?.reason;
  return typeof reason === 'string' ? reason : null;
}

/** The events worth decoding, matched against the event line's bytes (deltas match none). */
const INTERESTING_NAMES = [
  ...['response.completed', 'response.done', 'response.failed', 'response.incomplete'].map((name) => ({
    name,
    kind: 'terminal' as const,
  })),
  { name: 'codex.rate_limits', kind: 'quota' as const },
  { name: 'error', kind: 'error' as const },
].map((event) => ({ ...event, bytes: Buffer.from(event.name) }));

const [RESPONSE, ID, MODEL, USAGE, STATUS, INCOMPLETE_DETAILS] = [
  'response',
  'id',
  'model',
  'usage',
  'status',
  'incomplete_details',
].map((name) => Buffer.from(name));
/** What the terminal event's response is read for, in one walk (see onTerminalBytes). */
const TERMINAL_MEMBERS = [USAGE, ID, MODEL, STATUS, INCOMPLETE_DETAILS];
const TERMINAL_STARTS = new Int32Array(TERMINAL_MEMBERS.length);
const [INPUT_TOKENS, INPUT_DETAILS, OUTPUT_TOKENS, OUTPUT_DETAILS, CACHED_TOKENS, REASONING_TOKENS] = [
  'input_tokens',
  'input_tokens_details',
  'output_tokens',
  'output_tokens_details',
  'cached_tokens',
  'reasoning_tokens',
].map((name) => Buffer.from(name));
const USAGE_MEMBERS = [INPUT_TOKENS, INPUT_DETAILS, OUTPUT_TOKENS, OUTPUT_DETAILS];
const USAGE_STARTS = new Int32Array(USAGE_MEMBERS.length);

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function usageFrom(raw: unknown): ObservedUsage | null {
  if (!raw || typeof raw !== 'object') return null;
  const u = raw as Record<string, Record<string, unknown> | unknown>;
  const inputDetails = (u.input_tokens_details ?? {}) as Record<string, unknown>;
  const outputDetails = (u.output_tokens_details ?? {}) as Record<string, unknown>;
  return {
    inputTokens: num(u.input_tokens),
    cachedInputTokens: num(inputDetails.cached_tokens),
    outputTokens: num(u.output_tokens),
    reasoningTokens: num(outputDetails.reasoning_tokens),
  };
}

/**
 * usageFrom for the usage value at `start` in the terminal event's bytes (-1: absent), read
 * without building it: the token counts are read where they stand.
 */
export function usageAt(buf: Buffer, start: number): ObservedUsage | null {
  if (start === -1) return null;
  if (buf[start] !== 0x7b) return usageFrom(valueAt(buf, start));
  const starts = USAGE_STARTS;
  findMemberStarts(buf, start, USAGE_MEMBERS, starts);
  return {
    inputTokens: numberValueAt(buf, starts[0]),
    cachedInputTokens: detailAt(buf, starts[1], CACHED_TOKENS),
    outputTokens: numberValueAt(buf, starts[2]),
    reasoningTokens: detailAt(buf, starts[3], REASONING_TOKENS),
  };
}

/** A count inside a details object (absent, or not an object: null). */
function detailAt(buf: Buffer, start: number, name: Buffer): number | null {
  if (start === -1 || buf[start] !== 0x7b) return null;
  return numberValueAt(buf, findMemberStart(buf, start, name));
}

function windowFrom(raw: unknown): QuotaWindow | null {
  if (!raw || typeof raw !== 'object') return null;
  const w = raw as Record<string, unknown>;
  const used = num(w.used_percent);
  if (used === null) return null;
  const resetAt = num(w.reset_at);
  const after = num(w.reset_after_seconds);
  return {
    usedPercent: used,
    windowMinutes: num(w.window_minutes),
    resetsAt: resetAt !== null ? new Date(resetAt * 1000) : after !== null ? new Date(Date.now() + after * 1000) : null,
  };
}

/** Quota windows from a codex.rate_limits event, or null when it carries none. */
export function quotaFromRateLimitsEvent(event: Record<string, unknown>): QuotaSnapshot | null {
  const limits = (event.rate_limits ?? {}) as Record<string, unknown>;
  const primary = windowFrom(limits.primary);
  const secondary = windowFrom(limits.secondary);
  if (!primary && !secondary) return null;
  return {
    planType: typeof event.plan_type === 'string' ? event.plan_type : null,
    primary,
    secondary,
    creditsBalance: null,
    creditsUnlimited: null,
  };
}

/** Quota windows from x-codex-* response headers, or null when there are none. */
export function quotaFromHeaders(headers: Record<string, string | string[] | undefined>): QuotaSnapshot | null {
  const read = (name: string) => {
    const value = headers[name];
    const n = Number(Array.isArray(value) ? value[0] : value);
    return value === undefined || !Number.isFinite(n) ? null : n;
  };
  const window = (prefix: string): QuotaWindow | null => {
    const used = read(`x-codex-${prefix}-used-percent`);
    if (used === null) return null;
    const reset = read(`x-codex-${prefix}-reset-at`);
    return {
      usedPercent: used,
      windowMinutes: read(`x-codex-${prefix}-window-minutes`),
      resetsAt: reset ? new Date(reset * 1000) : null,
    };
  };
  const primary = window('primary');
  const secondary = window('secondary');
  if (!primary && !secondary) return null;
  const balance = read('x-codex-credits-balance');
  const unlimited = headers['x-codex-credits-unlimited'];
  return {
    planType: null,
    primary,
    secondary,
    creditsBalance: balance,
    creditsUnlimited: unlimited === undefined ? null : String(unlimited) === 'true',
  };
}

export class SseObserver {
  responseId: string | null = null;
  model: string | null = null;
  usage: ObservedUsage | null = null;
  /** How the response ended (see TerminalStatus); null until a terminal event arrives. */
  terminal: TerminalStatus = null;
  /** The terminal event's name (response.completed, response.done, error, ...). */
  terminalEvent: string | null = null;
  /** For an incomplete response: why it stopped (e.g. max_output_tokens, content_filter). */
  incompleteReason: string | null = null;
  errorCode: string | null = null;
  quota: QuotaSnapshot | null = null;
  /** The completed response object (for non-stream clients). */
  completedResponse: Record<string, unknown> | null = null;
  private readonly frames = new SseFrames();

  /**
   * keepResponse: collect the completed response (non-stream clients). readQuota: read
   * codex.rate_limits events (skipped when the account's quota was read a moment ago). owner: the
   * key owner the response belongs to (the scope of the values the reading recognises).
   */
  constructor(
    private readonly keepResponse = false,
    private readonly readQuota = true,
    private readonly owner: string | null = null,
  ) {}

  /**
   * Works on bytes: only the event name (a few bytes) is compared, and only the handful of events
   * the gateway needs are decoded and parsed. Deltas are never decoded.
   */
  push(chunk: Buffer | string): void {
    this.frames.push(chunk, this.onBlock);
  }

  end(): void {
    this.frames.end(this.onBlock);
  }

  private readonly onBlock = (buf: Buffer, start: number, end: number, firstLineEnd: number, lines: number): void => {
    const line = eventLine(buf, start, end, firstLineEnd);
    if (line) {
      const [nameStart, nameEnd] = line.name;
      const name = eventNamed(INTERESTING_NAMES, buf, nameStart, nameEnd);
      if (!name) return;
      if (name.kind === 'quota' && !this.readQuota) return;
      // The terminal event repeats the whole response (instructions, tools, output): read only
      // its id, model, usage and error from the bytes instead of parsing all of it.
      if (!this.keepResponse && name.kind === 'terminal') {
        const data = singleDataLine(buf, line.lineEnd, end, lines);
        if (data && this.onTerminalBytes(name.name, data)) return;
      }
    }
    this.onEvent(blockData(buf, start, end));
  };

  /**
   * True when the event was read from its bytes; false to fall back to a full parse (always so
   * for failures, which are rare and whose error object is wanted whole).
   */
  private onTerminalBytes(name: string, data: Buffer): boolean {
    if (name === 'response.failed') return false;
    let usage: ObservedUsage | null;
    let id: string | null = null;
    let model: string | null = null;
    let status: string | null = null;
    let details: unknown;
    try {
      const at = findMemberStart(data, 0, RESPONSE);
      if (at === -1 || data[at] !== 0x7b) return false;
      const starts = TERMINAL_STARTS;
      findMemberStarts(data, at, TERMINAL_MEMBERS, starts, this.owner);
      usage = usageAt(data, starts[0]);
      id = stringValueAt(data, starts[1]);
      model = stringValueAt(data, starts[2]);
      if (name === 'response.done') status = stringValueAt(data, starts[3]);
      if (name !== 'response.completed') details = valueAt(data, starts[4]);
    } catch {
      return false;
    }
    const terminal = terminalOf(name, status);
    // A failed response.done wants its error object: the slow path reads it.
    if (terminal === 'failed') return false;
    this.onTerminal(name, terminal, usage, id, model, incompleteReasonOf(details), null);
    return true;
  }

  private onTerminal(
    type: string,
    terminal: TerminalStatus,
    usage: ObservedUsage | null,
    id: string | null,
    model: string | null,
    incompleteReason: string | null,
    errorCode: string | null,
  ): void {
    if (this.terminal !== null) return;
    this.terminal = terminal;
    this.terminalEvent = type;
    this.usage = usage ?? this.usage;
    this.responseId = id ?? this.responseId;
    this.model = model ?? this.model;
    if (terminal === 'incomplete') this.incompleteReason = incompleteReason;
    if (terminal === 'failed') this.errorCode = errorCode;
  }

  private onEvent({ name, data }: { name: string | null; data: string }): void {
    // response.created is not parsed, with or without its event line: the terminal event carries
    // the same id and model.
    if (name !== null && !INTERESTING_NAMES.some((event) => event.name === name)) return;
    if (
      name === null &&
      !/"type":"(response\.(completed|done|failed|incomplete)|codex\.rate_limits|error)"/.test(data)
    ) {
      return;
    }
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    const type = typeof event.type === 'string' ? event.type : (name ?? '');
    const response = (event.response ?? null) as Record<string, unknown> | null;
    switch (type) {
      case 'response.completed':
      case 'response.done':
      case 'response.incomplete':
      case 'response.failed':
      case 'error': {
        const terminal = terminalOf(type, response?.status);
        if (this.keepResponse && response && this.terminal === null) this.completedResponse = response;
        this.onTerminal(
          type,
          terminal,
          usageFrom(response?.usage),
          typeof response?.id === 'string' ? response.id : null,
          typeof response?.model === 'string' ? response.model : null,
          incompleteReasonOf(response?.incomplete_details),
          terminal === 'failed' ? failureCode(type, event) : null,
        );
        break;
      }
      case 'codex.rate_limits':
        if (this.readQuota) this.quota = quotaFromRateLimitsEvent(event) ?? this.quota;
        break;
    }
  }
}
