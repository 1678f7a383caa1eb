// A Chat Completions request body turned into a Responses body by splicing bytes: system and
// developer messages become `instructions`, the others `input` items, tool calls and results
// `function_call` / `function_call_output` items, `response_format` becomes `text.format`. Message
// texts, tool schemas and arguments are copied as the client's JSON bytes; only the small members
// (roles, ids, choices, formats) are parsed. A 40 KB chat body is neither parsed nor serialized
// whole.
import { LRUCache } from 'lru-cache';
import { BadJsonError, BODY_LIMITS, JsonLimitError, JsonMembers, type ScanLimits } from './json-members';
import { badBody } from '../proxy-errors';
import { takeBodyBuffer } from './body-buffers';

/**
 * Bounds on a chat body, beyond the scanner's own (BODY_LIMITS: 1,000 top-level members, depth 64,
 * 1 M values). 10,000 messages is far past what fits a model's context (400 k tokens at even 40
 * tokens a message), so no real conversation meets it, while a body of millions of empty messages
 * is refused after scanning ~30 KB. OpenAI's own chat API takes at most 128 tools; 512 leaves room.
 */
export const MAX_MESSAGES = 10_000;
export const MAX_TOOLS = 512;
const CHAT_LIMITS: ScanLimits = Object.freeze({ ...BODY_LIMITS, items: MAX_MESSAGES });
const TOOL_LIMITS: ScanLimits = Object.freeze({ ...BODY_LIMITS, items: MAX_TOOLS });

type Json = Record<string, unknown>;

export interface ChatRequest {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  promptCacheKey: string | null;
  /** The start of the instructions' JSON text (the derived soft-stickiness key is made from it). */
  instructionsPrefix: Buffer;
  /**
   * The Responses body to send upstream, in a reused buffer: give it back (giveBackBodyBuffer)
   * once the exchange has ended, and not before.
   */
  body: Buffer;
}

const INSTRUCTIONS_PREFIX_BYTES = 2048;

/** The raw JSON text of a member's value. */
function rawOf(json: JsonMembers, key: string): Buffer | null {
  const member = json.members.get(key);
  return member ? json.buf.subarray(member.valueStart, member.end) : null;
}

function isJsonString(raw: Buffer | null): boolean {
  return raw !== null && raw[0] === 0x22;
}

/** Text of a content value that is not a plain string: the text parts joined, as a JSON string. */
function textOfParts(raw: Buffer | null): string {
  if (raw === null) return '""';
  const content = JSON.parse(raw.toString('utf8')) as unknown;
  if (!Array.isArray(content)) return '""';
  const text = content
    .map((part) => (typeof part === 'string' ? part : typeof part?.text === 'string' ? (part.text as string) : ''))
    .join('');
  return JSON.stringify(text);
}

/** A content value as a JSON string: the client's bytes when it is one already. */
function textJson(raw: Buffer | null): Buffer | string {
  if (raw !== null && isJsonString(raw)) return raw;
  return textOfParts(raw);
}

function userContent(raw: Buffer | null): (Buffer | string)[] {
  if (raw !== null && isJsonString(raw)) return ['[{"type":"input_text","text":', raw, '}]'];
  const content = raw === null ? null : (JSON.parse(raw.toString('utf8')) as unknown);
  if (!Array.isArray(content)) return ['[]'];
  const parts = JSON.stringify(
    content.map((part: Json) => {
      if (part?.type === 'image_url') {
        const url = typeof part.image_url === 'string' ? part.image_url : (part.image_url as Json)?.url;
        return { type: 'input_image', image_url: url };
      }
      return { type: 'input_text', text: String(part?.text ?? '') };
    }),
  );
  return [parts];
}

/** A JSON string's bytes without its quotes (escapes intact), to join several into one string. */
function inner(text: Buffer | string): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  return bytes.subarray(1, bytes.length - 1);
}

/**
 * One buffer of all the pieces, copied once; neighbouring strings are joined and encoded together.
 * `allocate` gives the buffer (the upstream body's comes from the reused ones, body-buffers.ts).
 */
function concat(parts: (Buffer | string)[], allocate: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const pieces: (Buffer | string)[] = [];
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      text += part;
    } else {
      if (text !== '') pieces.push(text);
      text = '';
      pieces.push(part);
    }
  }
  if (text !== '') pieces.push(text);
  let length = 0;
  for (const piece of pieces) length += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
  const out = allocate(length);
  let at = 0;
  for (const piece of pieces) at += typeof piece === 'string' ? out.write(piece, at) : piece.copy(out, at);
  return out;
}

/** The first `max` bytes of the joined instructions' JSON text. */
function prefixOf(texts: Buffer[], max: number): Buffer {
  const first = texts[0] ?? Buffer.alloc(0);
  if (first.length >= max || texts.length <= 1) return first.subarray(0, max);
  return concat(texts.flatMap((text, i) => (i > 0 ? ['\\n\\n', text] : [text]))).subarray(0, max);
}

/** Chat tools as Responses tools: each function's name, description, parameters and strict. */
function translateTools(tools: Buffer, owner: string | null): Buffer {
  const parts: (Buffer | string)[] = ['['];
  JsonMembers.items(tools, TOOL_LIMITS, owner).forEach((tool, i) => {
    if (!tool) throw badBody('Each of tools must be an object.');
    const fnRaw = rawOf(tool, 'function');
    const fn = fnRaw && fnRaw[0] === 0x7b ? JsonMembers.scan(fnRaw, null, NESTED_LIMITS, owner) : null;
    parts.push(i > 0 ? ',{"type":"function"' : '{"type":"function"');
    for (const name of ['name', 'description', 'parameters', 'strict']) {
      const value = fn ? rawOf(fn, name) : null;
      if (value !== null) parts.push(`,"${name}":`, value);
    }
    parts.push('}');
  });
  parts.push(']');
  return concat(parts);
}

/** A function object inside a checked body: its names are ordinary (no unique members). */
const NESTED_LIMITS: ScanLimits = Object.freeze({ ...BODY_LIMITS, unique: Object.freeze([]) });

/**
 * Clients send the same tool list with every request of a conversation: translations are kept
 * for recent distinct lists, least recently used first out, at most 256 lists and 8 MB in all
 * (a list over 2 MB is not kept). The key is the owner's id and a hash of the list's length and
 * edges (the client's bytes never become a key); a hit is confirmed byte for byte, so a colliding
 * list just misses. Per owner: a tenant's request is never faster for a list another tenant sent.
 */
const TOOLS_MEMO = new LRUCache<string, { raw: Buffer; translated: Buffer }>({
  max: 256,
  maxSize: 8 * 1024 * 1024,
  maxEntrySize: 2 * 1024 * 1024,
  sizeCalculation: (entry) => entry.raw.length + entry.translated.length,
});
const EDGE = 64;

/** FNV-1a over the list's first and last EDGE bytes, with its length. */
function toolsKey(raw: Buffer): string {
  let hash = 0x811c9dc5;
  const head = Math.min(EDGE, raw.length);
  for (let i = 0; i < head; i++) hash = Math.imul(hash ^ raw[i], 0x01000193);
  for (let i = Math.max(head, raw.length - EDGE); i < raw.length; i++) hash = Math.imul(hash ^ raw[i], 0x01000193);
  return `${raw.length}:${(hash >>> 0).toString(36)}`;
}

function translatedTools(raw: Buffer, owner: string | null): Buffer {
  const key = `${owner ?? ''}|${toolsKey(raw)}`;
  const memo = TOOLS_MEMO.get(key);
  if (memo && memo.raw.equals(raw)) return memo.translated;
  const translated = translateTools(raw, owner);
  TOOLS_MEMO.set(key, { raw: Buffer.from(raw), translated });
  return translated;
}

/** How many tool lists the memo holds and their bytes (for specs and diagnostics). */
export function toolsMemoSize(): { entries: number; bytes: number } {
  return { entries: TOOLS_MEMO.size, bytes: TOOLS_MEMO.calculatedSize };
}

/**
 * The Responses body for a chat body. Throws the proxy's 400 (ApiError invalid_request) for a body
 * that is not JSON, exceeds the bounds (MAX_MESSAGES, MAX_TOOLS, BODY_LIMITS), repeats model,
 * stream or store, or is not a chat request. `admit` sees the model once the body is scanned and
 * before it is translated (what it throws is thrown). `owner`: the key owner the body belongs to
 * (the scope of what the scan and the tool-list memo recognise).
 */
export function chatToResponsesBytes(
  buf: Buffer,
  admit?: (model: string) => void,
  owner: string | null = null,
): ChatRequest {
  let json: JsonMembers;
  try {
    // The messages' own members are found in the same pass over the bytes.
    json = JsonMembers.scan(buf, 'messages', CHAT_LIMITS, owner);
  } catch (error) {
    throw refused(error);
  }
  try {
    // The model is admitted (the key's allowlist) before any translation work is spent on it.
    const model = json.string('model');
    if (model && admit) admit(model);
    return translate(json, model, owner);
  } catch (error) {
    throw error instanceof BadJsonError ? refused(error) : error;
  }
}

/** `stream_options` as streaming clients write it; any other value is parsed. */
const WITH_USAGE = Buffer.from('{"include_usage":true}');
const WITHOUT_USAGE = Buffer.from('{"include_usage":false}');

/** Whether stream_options asks for the usage chunk (its include_usage is true). */
function includesUsage(raw: Buffer | null, json: JsonMembers): boolean {
  if (raw === null || raw.equals(WITHOUT_USAGE)) return false;
  if (raw.equals(WITH_USAGE)) return true;
  return (json.value('stream_options') as Json | null)?.include_usage === true;
}

function refused(error: unknown): Error {
  const message = (error as Error).message;
  if (error instanceof JsonLimitError) return badBody(`The request body exceeds a limit: ${message}.`);
  return badBody(`The request body is not valid JSON: ${message}.`);
}

function translate(json: JsonMembers, model: string | null, owner: string | null): ChatRequest {
  const items = json.items;
  if (!items || items.length === 0) throw badBody('messages must be a non-empty array.');
  if (!model) throw badBody('model is required.');

  const instructions: Buffer[] = [];
  /** Each input item as the pieces of its JSON text. */
  const input: (Buffer | string)[][] = [];
  for (const message of items) {
    if (!message) throw badBody('Each of messages must be an object.');
    const role = message.string('role');
    const content = rawOf(message, 'content');
    if (role === 'system' || role === 'developer') {
      instructions.push(inner(textJson(content)));
    } else if (role === 'user') {
      input.push(['{"type":"message","role":"user","content":', ...userContent(content), '}']);
    } else if (role === 'assistant') {
      const text = content === null || content.toString('latin1') === 'null' ? null : textJson(content);
      if (text !== null && inner(text).length > 0) {
        input.push(['{"type":"message","role":"assistant","content":[{"type":"output_text","text":', text, '}]}']);
      }
      const calls = message.value('tool_calls');
      for (const call of Array.isArray(calls) ? (calls as Json[]) : []) {
        const fn = (call?.function ?? {}) as Json;
        input.push([
          JSON.stringify({
            type: 'function_call',
            call_id: call?.id,
            name: fn.name,
            arguments: String(fn.arguments ?? ''),
          }),
        ]);
      }
    } else if (role === 'tool') {
      const callId = rawOf(message, 'tool_call_id');
      input.push([
        '{"type":"function_call_output"',
        callId ? ',"call_id":' : '',
        callId ?? '',
        ',"output":',
        textJson(content),
        '}',
      ]);
    } else {
      throw badBody(`Unsupported message role: ${role ?? message.raw('role') ?? 'undefined'}.`);
    }
  }

  const parts: (Buffer | string)[] = ['{"model":', JSON.stringify(model), ',"input":['];
  input.forEach((item, i) => {
    if (i > 0) parts.push(',');
    parts.push(...item);
  });
  // The instructions: the system and developer texts joined by a blank line, still as JSON text.
  parts.push('],"stream":true,"store":false,"instructions":"');
  instructions.forEach((text, i) => {
    if (i > 0) parts.push('\\n\\n');
    parts.push(text);
  });
  parts.push('"');

  const tools = rawOf(json, 'tools');
  if (tools && tools[0] === 0x5b) parts.push(',"tools":', translatedTools(tools, owner));
  // A string choice ("auto", "none", "required") is passed on as the client's JSON string; only
  // an object is parsed.
  const choiceRaw = rawOf(json, 'tool_choice');
  if (choiceRaw !== null && isJsonString(choiceRaw)) parts.push(',"tool_choice":', choiceRaw);
  else if (choiceRaw !== null) {
    const choice = json.value('tool_choice');
    if (choice && typeof choice === 'object') {
      const name = ((choice as Json).function as Json | undefined)?.name;
      parts.push(',"tool_choice":', JSON.stringify({ type: 'function', name }));
    }
  }
  const parallel = json.raw('parallel_tool_calls');
  if (parallel === 'true' || parallel === 'false') parts.push(',"parallel_tool_calls":', parallel);
  const format = json.value('response_format') as Json | undefined;
  if (format?.type === 'json_schema') {
    const schema = (format.json_schema ?? {}) as Json;
    parts.push(
      ',"text":',
      JSON.stringify({
        format: { type: 'json_schema', name: schema.name ?? 'response', schema: schema.schema, strict: schema.strict },
      }),
    );
  } else if (format?.type === 'json_object') {
    parts.push(',"text":{"format":{"type":"json_object"}}');
  }
  const effort = json.string('reasoning_effort');
  if (effort !== null) parts.push(',"reasoning":', JSON.stringify({ effort }));
  const promptCacheKey = json.string('prompt_cache_key');
  if (promptCacheKey !== null) parts.push(',"prompt_cache_key":', JSON.stringify(promptCacheKey));
  parts.push('}');

  return {
    model,
    stream: json.raw('stream') === 'true',
    includeUsage: includesUsage(rawOf(json, 'stream_options'), json),
    promptCacheKey,
    instructionsPrefix: prefixOf(instructions, INSTRUCTIONS_PREFIX_BYTES),
    body: concat(parts, takeBodyBuffer),
  };
}
