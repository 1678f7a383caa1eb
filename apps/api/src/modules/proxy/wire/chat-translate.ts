// Chat Completions on top of the Responses API: the Responses event stream back to
// `chat.completion.chunk` events (or one `chat.completion` object for non-stream clients). The
// request side is chat-request.ts.
import type { QuotaSnapshot } from '../../accounts/quota';
import {
  findMemberStart,
  findMemberStarts,
  findString,
  numberValueAt,
  stringValueAt,
  upstreamValueEnd,
  valueAt,
} from './json-members';
import { blockData, eventLine, eventNamed, SseFrames, singleDataLine } from './sse-frames';
import {
  failureCode,
  incompleteReasonOf,
  quotaFromRateLimitsEvent,
  terminalOf,
  usageAt,
  usageFrom,
  type ObservedUsage,
  type TerminalStatus,
} from './sse-observer';

type Json = Record<string, unknown>;

export function chatUsage(usage: ObservedUsage | null): Json | null {
  if (!usage || usage.inputTokens === null || usage.outputTokens === null) return null;
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

/**
 * JSON.stringify(chatUsage(usage)), written from the counts: the usage chunk and the whole
 * completion carry it once per response, and the object and its serialization cost more than the
 * rest of the final chunks (bench/BASELINE.md).
 */
export function chatUsageJson(usage: ObservedUsage | null): string {
  if (!usage || usage.inputTokens === null || usage.outputTokens === null) return 'null';
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  return (
    `{"prompt_tokens":${input},"completion_tokens":${output},"total_tokens":${input + output},` +
    `"prompt_tokens_details":{"cached_tokens":${usage.cachedInputTokens ?? 0}},` +
    `"completion_tokens_details":{"reasoning_tokens":${usage.reasoningTokens ?? 0}}}`
  );
}

interface ToolCallState {
  index: number;
  id: string;
  name: string;
  arguments: string;
}

/** The events the translator uses; `fast` ones are read from their bytes when they can be. */
const HANDLED = [
  { name: 'codex.rate_limits', fast: false },
  { name: 'response.created', fast: true },
  { name: 'response.output_text.delta', fast: true },
  { name: 'response.output_item.added', fast: true },
  { name: 'response.function_call_arguments.delta', fast: false },
  { name: 'response.completed', fast: true },
  { name: 'response.incomplete', fast: true },
  { name: 'response.done', fast: true },
  { name: 'response.failed', fast: false },
  { name: 'error', fast: false },
].map((event) => ({ ...event, bytes: Buffer.from(event.name) }));

const [DELTA, RESPONSE, ID, MODEL, CREATED_AT, USAGE, ITEM, TYPE, STATUS, INCOMPLETE_DETAILS] = [
  'delta',
  'response',
  'id',
  'model',
  'created_at',
  'usage',
  'item',
  'type',
  'status',
  'incomplete_details',
].map((name) => Buffer.from(name));
/** What response.created and the terminal events are read for, each in one walk of the response. */
const CREATED_MEMBERS = [ID, MODEL, CREATED_AT];
const TERMINAL_MEMBERS = [STATUS, INCOMPLETE_DETAILS, USAGE];
const STARTS = new Int32Array(3);

/**
 * Chat's finish_reason for how the response ended, the same for chunks and whole completions:
 * tool calls win; an incomplete response stopped by a content filter says so, any other
 * incomplete one says "length"; everything else "stop".
 */
export function finishReasonOf(terminal: TerminalStatus, incompleteReason: string | null, toolCalls: boolean): string {
  if (toolCalls) return 'tool_calls';
  if (terminal === 'incomplete') return incompleteReason === 'content_filter' ? 'content_filter' : 'length';
  return 'stop';
}
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const FUNCTION_CALL = Buffer.from('"function_call"');
/** What a text delta's chunk ends with, after the delta's JSON string. */
const DELTA_TAIL = Buffer.from('},"finish_reason":null}]}\n\n');
const NOTHING = Buffer.alloc(0);
/** What a text delta is walked for the first time (see deltaAt). */
const DELTA_MEMBERS = [DELTA, Buffer.from('sequence_number')];

/** Past the JSON integer at `i` (`0` or digits not starting with 0), or -1 when there is none. */
function numberEnd(buf: Buffer, i: number): number {
  const first = buf[i];
  if (first === 0x30) return i + 1;
  if (!(first >= 0x31 && first <= 0x39)) return -1;
  i++;
  while (buf[i] >= 0x30 && buf[i] <= 0x39) i++;
  return i;
}

/** Turns Responses SSE bytes into Chat Completions state and, when streaming, chunk lines. */
export class ChatTranslator {
  id = 'chatcmpl-pending';
  created = Math.floor(Date.now() / 1000);
  model: string;
  /**
   * The answer's text so far as the inside of a JSON string (escapes intact): deltas are joined as
   * the JSON text they arrived as, never decoded and encoded again (see completionJson).
   */
  private textJson = '';
  usage: ObservedUsage | null = null;
  /** How the response ended (see TerminalStatus in sse-observer.ts); null until it does. */
  terminal: TerminalStatus = null;
  /** For an incomplete response: why it stopped (e.g. max_output_tokens, content_filter). */
  incompleteReason: string | null = null;
  /** The error code when terminal is 'failed'. */
  failed: string | null = null;
  /** A terminal event arrived (terminal !== null). */
  finished = false;
  responseId: string | null = null;
  quota: QuotaSnapshot | null = null;
  private readonly toolCalls = new Map<string, ToolCallState>();
  private roleSent = false;
  private readonly frames = new SseFrames();
  /**
   * What push() returns, as the pieces of the chunks made from the bytes it was given, joined once
   * at its end. A text delta's chunk is three pieces: its start (built once per response), the
   * delta's JSON string as the upstream's bytes (never decoded and encoded again) and DELTA_TAIL.
   */
  private readonly parts: Buffer[] = [];
  private partsLength = 0;
  /** The start of every chunk of this response (see chunkPrefix, chunkHead), or null until built. */
  private prefix: string | null = null;
  private head: string | null = null;
  /** The bytes before the last walked text delta's value, and its sequence number (see deltaAt). */
  private deltaLead: Buffer | null = null;
  private leadDigits = -1;
  private leadAfterDigits = -1;
  /** chunkHead() and `"content":` as bytes, built once per response (see deltaStart). */
  private contentStart: Buffer | null = null;

  constructor(
    model: string,
    private readonly stream: boolean,
    private readonly includeUsage: boolean,
    private readonly readQuota = true,
    /** The key owner the response belongs to (the scope of the values the reading recognises). */
    private readonly owner: string | null = null,
  ) {
    this.model = model;
  }

  /** Feeds upstream bytes; returns the SSE bytes to send to a streaming client (maybe none). */
  push(chunk: Buffer | string): Buffer {
    this.frames.push(chunk, this.onBytes);
    const parts = this.parts;
    if (parts.length === 0) return NOTHING;
    // A delta's bytes are a view of the upstream's chunk: copied here, so the answer owns its bytes.
    const out = Buffer.concat(parts, this.partsLength);
    parts.length = 0;
    this.partsLength = 0;
    return out;
  }

  private add(piece: Buffer): void {
    this.parts.push(piece);
    this.partsLength += piece.length;
  }

  private addText(text: string): void {
    if (text !== '') this.add(Buffer.from(text));
  }

  /**
   * Events this translator does not use are skipped by their name's bytes; text and argument
   * deltas are copied into chunks as the JSON strings they arrived as; the events that repeat the
   * whole response (created, completed) are read for the few members needed, not parsed whole.
   */
  private readonly onBytes = (buf: Buffer, start: number, end: number, firstLineEnd: number, lines: number): void => {
    const line = eventLine(buf, start, end, firstLineEnd);
    if (line) {
      const handled = eventNamed(HANDLED, buf, line.name[0], line.name[1]);
      if (!handled) return;
      if (handled.name === 'codex.rate_limits' && !this.readQuota) return;
      const data = handled.fast ? singleDataLine(buf, line.lineEnd, end, lines) : null;
      if (data) {
        try {
          if (this.onFast(handled.name, data)) return;
        } catch {
          // Not one JSON object: the slow path below decides.
        }
      }
    }
    const { data } = blockData(buf, start, end);
    if (!data || data === '[DONE]') return;
    let event: Json;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    this.addText(this.onBlock(event));
  };

  /**
   * Handles an event from its bytes, reading just the members it needs; false to fall back to a
   * full parse.
   */
  private onFast(name: string, data: Buffer): boolean {
    switch (name) {
      case 'response.output_text.delta': {
        const start = this.deltaAt(data);
        if (start === -1 || data[start] !== QUOTE) return false;
        const end = upstreamValueEnd(data, start);
        if (!this.stream) {
          this.textJson += data.toString('utf8', start + 1, end - 1);
          return true;
        }
        this.add(this.deltaStart());
        this.add(data.subarray(start, end));
        this.add(DELTA_TAIL);
        return true;
      }
      case 'response.output_item.added': {
        // Only function calls matter here; they take the full parse. Without a backslash every
        // string is its own bytes, so an item whose type is "function_call" has those bytes: the
        // other items (messages, reasoning) are told apart by two byte searches, not a walk.
        if (data.indexOf(FUNCTION_CALL) === -1 && data.indexOf(BACKSLASH) === -1) return true;
        const item = findMemberStart(data, 0, ITEM);
        if (item === -1 || data[item] !== OPEN_BRACE) return false;
        const type = findString(data, item, TYPE);
        return type !== null && type !== 'function_call';
      }
      case 'response.created': {
        const response = findMemberStart(data, 0, RESPONSE);
        if (response === -1 || data[response] !== OPEN_BRACE) return false;
        findMemberStarts(data, response, CREATED_MEMBERS, STARTS, this.owner);
        const created = numberValueAt(data, STARTS[2]);
        this.onCreated(stringValueAt(data, STARTS[0]), stringValueAt(data, STARTS[1]), created ?? NaN);
        return true;
      }
      case 'response.completed':
      case 'response.incomplete':
      case 'response.done': {
        const response = findMemberStart(data, 0, RESPONSE);
        if (response === -1 || data[response] !== OPEN_BRACE) return false;
        findMemberStarts(data, response, TERMINAL_MEMBERS, STARTS, this.owner);
        const status = name === 'response.done' ? stringValueAt(data, STARTS[0]) : null;
        const terminal = terminalOf(name, status);
        // A failure wants its error object whole: the slow path reads it.
        if (terminal === 'failed') return false;
        const details = name === 'response.completed' ? null : valueAt(data, STARTS[1]);
        this.addText(this.onTerminal(terminal, usageAt(data, STARTS[2]), incompleteReasonOf(details), null));
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * Where a text delta event's `delta` value starts, or -1 when it has none. The upstream writes
   * the deltas of one answer alike but for their sequence numbers, so the bytes before the first
   * delta's value, once walked, are kept: a delta that repeats them (its own sequence number's
   * digits aside) has its value right after them, read without walking its members again.
   */
  private deltaAt(data: Buffer): number {
    const lead = this.deltaLead;
    if (lead !== null) {
      const digits = this.leadDigits;
      const after = this.leadAfterDigits;
      if (digits === -1) {
        if (data.length > lead.length && data.compare(lead, 0, lead.length, 0, lead.length) === 0) return lead.length;
      } else if (data.length > digits && data.compare(lead, 0, digits, 0, digits) === 0) {
        const i = numberEnd(data, digits);
        const rest = lead.length - after;
        if (i !== -1 && i + rest < data.length && data.compare(lead, after, lead.length, i, i + rest) === 0) {
          return i + rest;
        }
      }
    }
    // One walk for both: the value, and the sequence number whose digits may differ next time.
    findMemberStarts(data, 0, DELTA_MEMBERS, STARTS, this.owner);
    const [start, sequence] = STARTS;
    if (start === -1 || data[start] !== QUOTE) return -1;
    // Kept: the bytes before the value, and where the sequence number's digits are in them.
    this.deltaLead = Buffer.from(data.subarray(0, start));
    const sequenceEnd = sequence !== -1 && sequence < start ? numberEnd(data, sequence) : -1;
    this.leadDigits = sequenceEnd === -1 ? -1 : sequence;
    this.leadAfterDigits = sequenceEnd;
    return start;
  }

  private onCreated(id: string | null, model: string | null, createdAt: number): void {
    if (id !== null) {
      this.responseId = id;
      this.id = `chatcmpl-${id.startsWith('resp_') ? id.slice(5) : id}`;
    }
    if (model !== null) this.model = model;
    if (Number.isFinite(createdAt)) this.created = createdAt;
    this.prefix = null;
    this.head = null;
    this.contentStart = null;
  }

  /**
   * The response ended (the first terminal event decides; later ones are ignored): records how,
   * and for a streaming client returns the last chunks (finish reason, usage, [DONE]) or, on
   * failure, an error event and [DONE].
   */
  private onTerminal(
    terminal: TerminalStatus,
    usage: ObservedUsage | null,
    incompleteReason: string | null,
    failure: { code: string; message: string } | null,
  ): string {
    if (this.finished || terminal === null) return '';
    this.terminal = terminal;
    this.finished = true;
    this.usage = usage ?? this.usage;
    if (terminal === 'incomplete') this.incompleteReason = incompleteReason;
    if (terminal === 'failed') {
      this.failed = failure?.code ?? 'response_failed';
      if (!this.stream) return '';
      const message = failure?.message ?? 'The upstream response failed.';
      return `data: ${JSON.stringify({ error: { message, type: 'server_error', code: this.failed, param: null } })}\n\ndata: [DONE]\n\n`;
    }
    if (!this.stream) return '';
    const role = this.roleSent ? '' : '"role":"assistant"';
    this.roleSent = true;
    let out = `${this.chunkHead()}${role}},"finish_reason":"${this.finishReason()}"}]}\n\n`;
    if (this.includeUsage) {
      out += `${this.chunkPrefix()}],"usage":${chatUsageJson(this.usage)}}\n\n`;
    }
    return `${out}data: [DONE]\n\n`;
  }

  /** The finish_reason for the stream's last chunk and for the whole completion alike. */
  finishReason(): string {
    return finishReasonOf(this.terminal, this.incompleteReason, this.toolCalls.size > 0);
  }

  /** `data: {"id":…,"choices":[` for this response, built once. */
  private chunkPrefix(): string {
    this.prefix ??= `data: {"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(this.model)},"choices":[`;
    return this.prefix;
  }

  /** `data: {"id":…,"choices":[{"index":0,"delta":{` for this response, built once. */
  private chunkHead(): string {
    this.head ??= `${this.chunkPrefix()}{"index":0,"delta":{`;
    return this.head;
  }

  /** A text delta's chunk up to its content: chunkHead(), the role in the first one, `"content":`. */
  private deltaStart(): Buffer {
    if (this.roleSent) return (this.contentStart ??= Buffer.from(`${this.chunkHead()}"content":`));
    // Once per response: not kept.
    this.roleSent = true;
    return Buffer.from(`${this.chunkHead()}"role":"assistant","content":`);
  }

  get calls(): ToolCallState[] {
    return [...this.toolCalls.values()].sort((a, b) => a.index - b.index);
  }

  private chunk(delta: Json, finishReason: string | null = null, extra: Json = {}): string {
    if (!this.stream) return '';
    const payload = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
      ...extra,
    };
    return `data: ${JSON.stringify(payload)}\n\n`;
  }

  private withRole(delta: Json): Json {
    if (this.roleSent) return delta;
    this.roleSent = true;
    return { role: 'assistant', ...delta };
  }

  private onBlock(event: Json): string {
    const response = (event.response ?? {}) as Json;
    switch (event.type) {
      case 'codex.rate_limits':
        if (this.readQuota) this.quota = quotaFromRateLimitsEvent(event) ?? this.quota;
        return '';
      case 'response.created':
        this.onCreated(
          typeof response.id === 'string' ? response.id : null,
          typeof response.model === 'string' ? response.model : null,
          typeof response.created_at === 'number' ? response.created_at : NaN,
        );
        return '';
      case 'response.output_text.delta': {
        const delta = String(event.delta ?? '');
        this.textJson += JSON.stringify(delta).slice(1, -1);
        return this.chunk(this.withRole({ content: delta }));
      }
      case 'response.output_item.added': {
        const item = (event.item ?? {}) as Json;
        if (item.type !== 'function_call') return '';
        const state: ToolCallState = {
          index: this.toolCalls.size,
          id: String(item.call_id ?? item.id),
          name: String(item.name ?? ''),
          arguments: '',
        };
        this.toolCalls.set(String(item.id ?? item.call_id), state);
        return this.chunk(
          this.withRole({
            tool_calls: [
              { index: state.index, id: state.id, type: 'function', function: { name: state.name, arguments: '' } },
            ],
          }),
        );
      }
      case 'response.function_call_arguments.delta': {
        const state = this.toolCalls.get(String(event.item_id)) ?? this.calls[this.calls.length - 1];
        if (!state) return '';
        const delta = String(event.delta ?? '');
        state.arguments += delta;
        return this.chunk({ tool_calls: [{ index: state.index, function: { arguments: delta } }] });
      }
      case 'response.completed':
      case 'response.incomplete':
      case 'response.done':
      case 'response.failed':
      case 'error': {
        const terminal = terminalOf(event.type, response.status);
        const error = (event.type === 'error' ? (event.error ?? event) : (response.error ?? {})) as Json;
        const failure =
          terminal === 'failed'
            ? {
                code: failureCode(event.type, event),
                message: typeof error.message === 'string' ? error.message : 'The upstream response failed.',
              }
            : null;
        return this.onTerminal(
          terminal,
          usageFrom(response.usage),
          incompleteReasonOf(response.incomplete_details),
          failure,
        );
      }
      default:
        return '';
    }
  }

  /** completion(), serialized: the envelope written directly, only the values through JSON.stringify. */
  /** The answer's text so far. */
  get text(): string {
    return this.textJson === '' ? '' : (JSON.parse(`"${this.textJson}"`) as string);
  }

  completionJson(): string {
    const calls = this.calls;
    const content = this.textJson !== '' ? `"${this.textJson}"` : calls.length ? 'null' : '""';
    const toolCalls = calls.length
      ? `,"tool_calls":${JSON.stringify(
          calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
        )}`
      : '';
    const reason = this.finishReason();
    return `{"id":${JSON.stringify(this.id)},"object":"chat.completion","created":${this.created},"model":${JSON.stringify(this.model)},"choices":[{"index":0,"message":{"role":"assistant","content":${content}${toolCalls}},"finish_reason":"${reason}"}],"usage":${chatUsageJson(this.usage)}}`;
  }

  /** The whole answer as one chat.completion object. */
  completion(): Json {
    const calls = this.calls;
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: this.text || (calls.length ? null : ''),
            ...(calls.length
              ? {
                  tool_calls: calls.map((c) => ({
                    id: c.id,
                    type: 'function',
                    function: { name: c.name, arguments: c.arguments },
                  })),
                }
              : {}),
          },
          finish_reason: this.finishReason(),
        },
      ],
      usage: chatUsage(this.usage),
    };
  }
}
