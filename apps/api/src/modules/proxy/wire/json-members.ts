// Reads the top level of a JSON object without building it: where each member's key and value
// sit in the bytes. The proxy parses only the few small values it needs (model, stream, store,
// prompt_cache_key, ...) and forwards the client's bytes untouched, or spliced, instead of parsing
// and re-serializing request bodies of hundreds of kilobytes.
//
// What the scan checks: the whole of RFC 8259's grammar, exactly as JSON.parse does on the same
// bytes decoded as UTF-8. Structure and separators; strings (no raw control byte, every escape one
// of \" \\ \/ \b \f \n \r \t \uXXXX); numbers (-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?); the literals
// true, false and null; nothing but JSON whitespace after the value. It does not check UTF-8 (nor
// does JSON.parse: invalid sequences decode to U+FFFD). So a body it accepts is one JSON.parse
// accepts, and the reverse; the fast-check spec holds it to that. Long strings are checked four
// bytes at a time (see plainUntil), and repeated tools, instructions and input items are skipped
// by one comparison (see keptValues). Measured on a 39 KB Codex-shaped body (a loaded 2-core
// machine, best of 7): 5.0 us when tools and instructions repeat (the structural walk this
// replaced: 4.3), 18 us when only the tools differ (12), 29 us when nothing repeats (12);
// JSON.parse takes 51 us. Keeping input items too: 10.5 -> 5.5 us for the bench's first turn,
// whose 7.5 KB of input (permissions, AGENTS.md) was walked every time (JSON.parse: 40 us).
//
// It also bounds the work a body can cause (ScanLimits): members per object, nesting depth,
// values in the whole body, elements of the expanded array, and map entries allocated. Nesting is
// walked with an explicit stack, never by recursion. Every refusal is a BadJsonError, which the
// proxy answers with a 400.
import { LRUCache } from 'lru-cache';

export interface Member {
  /** Offset of the key's opening quote. */
  start: number;
  valueStart: number;
  /** Offset just past the value. */
  end: number;
}

/** The body is not JSON, or not within the limits: a client error (400). */
export class BadJsonError extends SyntaxError {
  /** The exception filter answers errors carrying a statusCode below 500 with that status. */
  readonly statusCode = 400;
  readonly code = 'invalid_request';

  constructor(
    message: string,
    /** Byte offset where the problem was found, or -1. */
    readonly offset = -1,
  ) {
    super(offset >= 0 ? `${message} at byte ${offset}` : message);
    this.name = 'BadJsonError';
  }
}

/** Valid JSON beyond one of the ScanLimits. */
export class JsonLimitError extends BadJsonError {
  constructor(message: string, offset = -1) {
    super(message, offset);
    this.name = 'JsonLimitError';
  }
}

export interface ScanLimits {
  /** Members of any one object that is scanned into a map (the body; the expanded array's objects). */
  members: number;
  /** Nesting of objects and arrays, the body itself being level 1. */
  depth: number;
  /** Values of any kind in the whole body, every nested member and element counted. */
  values: number;
  /** Elements of the expanded array (scan's `expand`), or of the array items() reads. */
  items: number;
  /** Members recorded in maps over one scan (the body's and the expanded elements' together). */
  entries: number;
  /** Top-level members that may appear only once (JSON.parse keeps the last; a proxy must not guess). */
  unique: readonly string[];
}

/**
 * The bounds for a client's request body. A Codex first turn (~40 KB) holds about 2,000 values
 * and 20 members; a long session's body of a few megabytes some tens of thousands of values. A
 * refusal at these bounds costs at most a few tens of milliseconds and allocates at most
 * `entries` member records.
 */
export const BODY_LIMITS: ScanLimits = Object.freeze({
  members: 1000,
  depth: 64,
  values: 1_000_000,
  items: 10_000,
  entries: 100_000,
  unique: Object.freeze(['model', 'stream', 'store']),
});

/** The deepest nesting any walk follows (the size of the walker's stack). */
const MAX_DEPTH = 1024;

/** For events from the upstream, trusted to be bounded by it: only the stack's depth applies. */
const UPSTREAM_LIMITS: ScanLimits = Object.freeze({
  members: Infinity,
  depth: MAX_DEPTH,
  values: Infinity,
  items: Infinity,
  entries: Infinity,
  unique: Object.freeze([]),
});

/** The limits of the walk under way, and what is left of its budgets (one walk at a time: sync). */
let limits: ScanLimits = UPSTREAM_LIMITS;
let valuesLeft = Infinity;
let entriesLeft = Infinity;
/** Walking the upstream's own events: strings are skipped, not checked (see skipString). */
let trusted = true;

function begin(next: ScanLimits, nextScope: string | null = null): void {
  scope = nextScope;
  kept = null;
  limits = next;
  valuesLeft = next.values;
  entriesLeft = next.entries;
  trusted = next === UPSTREAM_LIMITS;
}

function finish(): void {
  scope = null;
  kept = null;
  limits = UPSTREAM_LIMITS;
  trusted = true;
  releaseWords();
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_U = 0x75;
// `}` and `]` are each two past their opener: close = open + 2.
const CLOSER_OFFSET = 2;

/** Bytes that may follow a backslash, other than u. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function isDigit(byte: number): boolean {
  return byte >= ZERO && byte <= NINE;
}

function bad(message: string, offset: number): BadJsonError {
  return new BadJsonError(message, offset);
}

function skipSpace(buf: Buffer, i: number): number {
  while (i < buf.length && isSpace(buf[i])) i++;
  return i;
}

/** Counts `count` values found at `at` against the walk's budget. */
function countValue(at: number, count = 1): void {
  valuesLeft -= count;
  if (valuesLeft < 0) throw new JsonLimitError(`More than ${limits.values} values in the body`, at);
}

/** Strings shorter than this (keys, enum values) are walked byte by byte from the start. */
const SHORT_STRING = 48;
/** Spans at least this long are checked a 32-bit word at a time. */
const WORDS_MIN = 64;

/**
 * A word view of the ArrayBuffer under the bytes being scanned, made once per buffer, and dropped
 * when a walk ends so that no body outlives its request.
 */
let wordsFor: Buffer | null = null;
let wordsBase = 0;
const NO_WORDS: Int32Array<ArrayBufferLike> = new Int32Array(0);
let words = NO_WORDS;

function releaseWords(): void {
  if (wordsFor === null) return;
  wordsFor = null;
  words = NO_WORDS;
}

function viewWords(buf: Buffer): void {
  wordsFor = buf;
  wordsBase = buf.byteOffset;
  words = new Int32Array(buf.buffer, 0, buf.buffer.byteLength >> 2);
}

/**
 * The first offset in [i, q) holding a backslash or a control byte (< 0x20), else q. Long spans
 * are tested four bytes at a time: a word has a byte below 0x20 when (w - 0x20202020) & ~w has a
 * high bit set, and a backslash when the same test for zero holds on w ^ 0x5c5c5c5c. Both are
 * exact for "has such a byte"; the byte itself is then found one at a time.
 */
function plainUntil(buf: Buffer, i: number, q: number): number {
  if (q - i >= WORDS_MIN) {
    if (buf !== wordsFor) viewWords(buf);
    const base = wordsBase;
    for (; (base + i) & 3; i++) {
      const byte = buf[i];
      if (byte === BACKSLASH || byte < 0x20) return i;
    }
    const view = words;
    const w0 = (base + i) >> 2;
    const wEnd = (base + q) >> 2;
    let w = w0;
    for (; w < wEnd; w++) {
      const word = view[w];
      const slash = word ^ 0x5c5c5c5c;
      if ((((word - 0x20202020) & ~word) | ((slash - 0x01010101) & ~slash)) & 0x80808080) break;
    }
    i += (w - w0) << 2;
  }
  for (; i < q; i++) {
    const byte = buf[i];
    if (byte === BACKSLASH || byte < 0x20) return i;
  }
  return q;
}

/** Offset just past the escape whose backslash is at `i` (refused unless JSON allows it). */
function escapeEnd(buf: Buffer, i: number): number {
  if (i + 1 >= buf.length) throw bad('Unterminated string', i);
  const kind = buf[i + 1];
  if (kind === LOWER_U) {
    if (i + 5 < buf.length && HEX[buf[i + 2]] & HEX[buf[i + 3]] & HEX[buf[i + 4]] & HEX[buf[i + 5]]) return i + 6;
    throw bad('Bad \\u escape in a string', i);
  }
  if (SIMPLE_ESCAPE[kind] === 1) return i + 2;
  throw bad('Bad escape in a string', i);
}

/**
 * Offset just past the string whose opening quote is at `at`, its contents checked. In the
 * upstream's events (trusted: they reach the client as they came, and only a few members are
 * read, each then parsed by JSON.parse) a long string is skipped to the first quote that no
 * backslash escapes: the terminal event repeats the request's instructions, tens of kilobytes
 * that a checking walk read byte by byte for every response.
 */
function skipString(buf: Buffer, at: number): number {
  let i = at + 1;
  const limit = Math.min(buf.length, i + SHORT_STRING);
  while (i < limit) {
    const byte = buf[i];
    if (byte === QUOTE) return i + 1;
    if (byte === BACKSLASH) i = escapeEnd(buf, i);
    else if (byte < 0x20) throw bad('Control character in a string', i);
    else i++;
  }
  if (trusted) return trustedStringEnd(buf, at, i);
  for (;;) {
    const quote = buf.indexOf(QUOTE, i);
    if (quote === -1) throw bad('Unterminated string', at);
    i = plainUntil(buf, i, quote);
    while (i < quote) {
      if (buf[i] !== BACKSLASH) throw bad('Control character in a string', i);
      i = escapeEnd(buf, i);
      if (i < quote) i = plainUntil(buf, i, quote);
    }
    if (i === quote) return quote + 1;
    // The quote was escaped (\"): look for the next one.
  }
}

/** Past the first quote at or after `i` that an even run of backslashes precedes. */
function trustedStringEnd(buf: Buffer, at: number, i: number): number {
  for (;;) {
    const quote = buf.indexOf(QUOTE, i);
    if (quote === -1) throw bad('Unterminated string', at);
    let k = quote - 1;
    while (buf[k] === BACKSLASH) k--;
    if (((quote - 1 - k) & 1) === 0) return quote + 1;
    i = quote + 1;
  }
}

function skipLiteral(buf: Buffer, i: number, literal: Buffer): number {
  for (let k = 1; k < literal.length; k++) {
    if (buf[i + k] !== literal[k]) throw bad('Expected a value', i);
  }
  return i + literal.length;
}

function skipDigits(buf: Buffer, i: number): number {
  if (!isDigit(buf[i])) throw bad('Expected a digit', i);
  i++;
  while (isDigit(buf[i])) i++;
  return i;
}

/** Offset just past the number or literal at `i`. */
function skipScalar(buf: Buffer, i: number): number {
  const first = buf[i];
  if (first === 0x74) return skipLiteral(buf, i, TRUE);
  if (first === 0x66) return skipLiteral(buf, i, FALSE);
  if (first === 0x6e) return skipLiteral(buf, i, NULL);
  const start = i;
  if (first === MINUS) i++;
  if (buf[i] === ZERO) i++;
  else if (isDigit(buf[i])) i = skipDigits(buf, i);
  else throw bad('Expected a value', start);
  if (buf[i] === DOT) i = skipDigits(buf, i + 1);
  if (buf[i] === LOWER_E || buf[i] === UPPER_E) {
    i++;
    if (buf[i] === PLUS || buf[i] === MINUS) i++;
    i = skipDigits(buf, i);
  }
  return i;
}

/** The container kind (its opening byte) at each level of the walk under way. */
const STACK = new Uint8Array(MAX_DEPTH);

/**
 * Offset just past the value starting at `i` (any JSON value, checked whole), inside `depth`
 * enclosing containers. Iterative: a stack of container kinds, no recursion.
 */
function skipValue(buf: Buffer, i: number, depth: number): number {
  countValue(i);
  let byte = buf[i];
  if (byte === QUOTE) return skipString(buf, i);
  if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET) return skipScalar(buf, i);
  const maxDepth = Math.min(limits.depth, MAX_DEPTH) - depth;
  let top = 0;
  for (;;) {
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (top >= maxDepth) throw new JsonLimitError(`Nested deeper than ${limits.depth} levels`, i);
      const close = byte + CLOSER_OFFSET;
      i = skipSpace(buf, i + 1);
      if (buf[i] === close) {
        i++;
      } else {
        STACK[top++] = byte;
        if (byte === OPEN_BRACE) i = valueOfMemberAt(buf, i);
        countValue(i);
        byte = buf[i];
        continue;
      }
    } else if (byte === QUOTE) {
      i = skipString(buf, i);
    } else {
      i = skipScalar(buf, i);
    }
    // After a value: close what ends here, then find the next value.
    for (;;) {
      if (top === 0) return i;
      i = skipSpace(buf, i);
      const open = STACK[top - 1];
      const next = buf[i];
      if (next === COMMA) {
        i = skipSpace(buf, i + 1);
        if (open === OPEN_BRACE) i = valueOfMemberAt(buf, i);
        break;
      }
      if (next !== open + CLOSER_OFFSET) {
        throw bad(open === OPEN_BRACE ? 'Expected "," or "}"' : 'Expected "," or "]"', i);
      }
      i++;
      top--;
    }
    countValue(i);
    byte = buf[i];
  }
}

/** Where the value starts after a member name ending at `keyEnd` (its colon checked). */
function valueAfterName(buf: Buffer, keyEnd: number): number {
  const colon = skipSpace(buf, keyEnd);
  if (buf[colon] !== COLON) throw bad('Expected ":"', colon);
  const valueStart = skipSpace(buf, colon + 1);
  if (valueStart >= buf.length) throw bad('Unexpected end of the body', valueStart);
  return valueStart;
}

/** For a member whose name starts at `i`: where its value starts. */
function valueOfMemberAt(buf: Buffer, i: number): number {
  if (buf[i] !== QUOTE) throw bad('Expected a member name', i);
  return valueAfterName(buf, skipString(buf, i));
}

/**
 * After a member or element ending at `end`: where the next one starts, or -1 when `close`
 * (`}` or `]`) ends the object or array there.
 */
function nextAfter(buf: Buffer, end: number, close: number): number {
  const i = skipSpace(buf, end);
  if (buf[i] === COMMA) return skipSpace(buf, i + 1);
  if (buf[i] === close) return -1;
  throw bad(close === CLOSE_BRACE ? 'Expected "," or "}"' : 'Expected "," or "]"', i);
}

/**
 * Member names repeat from body to body (model, input, type, delta...), so short names are decoded
 * once: a name's bytes are hashed in JS and its string is found in this table, confirmed byte for
 * byte. The table stops growing at a bound (4,096 names of at most 32 bytes); names beyond it are
 * decoded as before.
 */
const NAMES = new Map<number, string>();
const NAMES_MAX = 4096;
const SHORT_NAME = 32;

/** The text of a member name whose quotes are at `start` and `end - 1`. */
function nameAt(buf: Buffer, start: number, end: number): string {
  const length = end - start - 2;
  if (length > SHORT_NAME) return stringAt(buf, start, end);
  let hash = length;
  for (let i = start + 1; i < end - 1; i++) {
    const byte = buf[i];
    if (byte === BACKSLASH || byte > 0x7e) return stringAt(buf, start, end);
    hash = (Math.imul(hash, 31) + byte) | 0;
  }
  const known = NAMES.get(hash);
  if (known !== undefined && known.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (known.charCodeAt(i) !== buf[start + 1 + i]) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const name = buf.toString('latin1', start + 1, end - 1);
  if (known === undefined && NAMES.size < NAMES_MAX) NAMES.set(hash, name);
  return name;
}

/**
 * Tool lists are large (tens of nested schemas), and so are Codex's instructions and a chat
 * request's system message; clients send the same ones, byte for byte, with every request of a
 * conversation: Codex CLI and the SDKs alike. Codex also resends its whole `input` every turn,
 * and its first items (the permissions message, AGENTS.md, the environment context) are the same
 * in every turn and every session of a project. A `tools` or `instructions` value, an element of
 * `input`, or a string member of an expanded array's objects (a chat message's `content`), seen
 * twice (and found valid) is kept, and a later body whose value there starts with the same bytes
 * is skipped by one comparison instead of a walk (a JSON value ends where its bytes say; the same
 * bytes with at least the same room to nest are as valid as they were). Other members change from
 * request to request and are always walked. Kept per key owner (PerOwner), bounded: 16
 * values of at most 1 MB and 32 short fingerprints per owner (KeptValues), 64 MB in all.
 */
const KEPT_NAMES = new Set(['tools', 'instructions']);
/** Top-level arrays whose elements are kept one by one. */
const KEPT_ITEMS = 'input';
const KEPT_MIN = 1024;
const KEPT_MAX = 1024 * 1024;

/** The nesting a value inside `depth` containers may have under the walk's bound. */
function roomAt(depth: number): number {
  return Math.min(limits.depth, MAX_DEPTH) - depth;
}

/** Recently seen large values, and those seen twice, kept to be recognised by comparison. */
class KeptValues {
  /**
   * Each kept value with the nesting room it was checked with (the depth bound less the
   * containers around it): a value found where there is less room is walked.
   */
  private readonly values: { bytes: Buffer; room: number }[] = [];
  /**
   * Length and last bytes of recently walked values, to spot a repeat, oldest first (a set: a long
   * conversation's body walks hundreds of items, each looked up here).
   */
  private readonly recent = new Set<string>();

  /** Bytes held by the kept values. */
  bytes = 0;

  constructor(private readonly max: number) {}

  /** Where the kept value that buf holds at `at` (inside `depth` containers) ends, or -1. */
  endAt(buf: Buffer, at: number, depth: number): number {
    const room = roomAt(depth);
    for (const kept of this.values) {
      if (kept.room <= room && holds(buf, at, kept.bytes)) return at + kept.bytes.length;
    }
    return -1;
  }

  /** Notes a value just walked; kept (true) when it was seen recently too. */
  walked(buf: Buffer, at: number, end: number, depth: number): boolean {
    const length = end - at;
    if (length < KEPT_MIN || length > KEPT_MAX) return false;
    const seen = `${length}:${buf.toString('latin1', end - 32, end)}`;
    if (!this.recent.delete(seen)) {
      this.recent.add(seen);
      if (this.recent.size > this.max * 2) this.recent.delete(this.recent.values().next().value as string);
      return false;
    }
    if (this.values.length >= this.max) this.bytes -= this.values.shift()!.bytes.length;
    this.values.push({ bytes: Buffer.from(buf.subarray(at, end)), room: roomAt(depth) });
    this.bytes += length;
    return true;
  }
}

/** Whether buf holds `bytes` at `at` (the last byte compared first: most misses end there). */
function holds(buf: Buffer, at: number, bytes: Buffer): boolean {
  const end = at + bytes.length;
  return (
    end <= buf.length &&
    buf[end - 1] === bytes[bytes.length - 1] &&
    buf[at] === bytes[0] &&
    buf.compare(bytes, 0, bytes.length, at, end) === 0
  );
}

/**
 * What is kept per key owner (the scope a body or event belongs to): a value one tenant sent is
 * never recognised in another tenant's body, so the time a body takes to read (to a 400, say)
 * says nothing about what other tenants sent. Owners are evicted least recently used first, by
 * count and by the bytes their stores hold.
 */
class PerOwner<T extends { bytes: number }> {
  private readonly owners: LRUCache<string, T>;

  constructor(
    private readonly make: () => T,
    maxOwners: number,
    maxBytes: number,
  ) {
    this.owners = new LRUCache({
      max: maxOwners,
      maxSize: maxBytes,
      sizeCalculation: (store) => Math.max(1, store.bytes),
    });
  }

  /** The owner's store, if any (null: callers with no tenant, such as tests and tools). */
  get(owner: string | null): T | undefined {
    return this.owners.get(owner ?? '');
  }

  /** The owner's store, made when it has none. */
  for(owner: string | null): T {
    let store = this.get(owner);
    if (!store) this.owners.set(owner ?? '', (store = this.make()));
    return store;
  }

  /** Accounts for what the owner's store holds now (after it kept something). */
  resize(owner: string | null, store: T): void {
    this.owners.set(owner ?? '', store);
  }
}

/** 16 values per owner; at most 1,024 owners and 64 MB in all. */
const bodyKept = new PerOwner(() => new KeptValues(16), 1024, 64 * 1024 * 1024);
/** The scope of the walk under way (see begin), and its kept values. */
let scope: string | null = null;
let kept: KeptValues | null = null;

/** The kept values of the walk's scope (found once per walk, when first needed). */
function keptNow(): KeptValues {
  return (kept ??= bodyKept.for(scope));
}

/**
 * The upstream's events repeat the request's tools and instructions in the response object of
 * response.created and of the terminal event, serialized the same way every time: a terminal event
 * of a Codex turn walked its ~8 KB of tools value by value (17 us for a 32 KB event). Kept apart
 * from the bodies' values: bytes walked in trust were not checked, so they never vouch for a
 * client's body. Scoped like them. Bounded: 4 values of at most 1 MB per scope, 16 MB in all.
 */
const upstreamKept = new PerOwner(() => new KeptValues(4), 1024, 16 * 1024 * 1024);
const TOOLS = Buffer.from('tools');
const INSTRUCTIONS = Buffer.from('instructions');

/** Offset just past the value at `at` (inside `depth` containers): a kept one by comparison. */
function skipKeepable(buf: Buffer, at: number, depth: number): number {
  const values = keptNow();
  const known = values.endAt(buf, at, depth);
  if (known !== -1) {
    countValue(at);
    return known;
  }
  const end = skipValue(buf, at, depth);
  if (values.walked(buf, at, end, depth)) bodyKept.resize(scope, values);
  return end;
}

/**
 * Codex resends its whole conversation every turn, so a turn's `input` starts with the bytes of the
 * previous turn's items: a long session's body of hundreds of kilobytes was walked in full for a
 * few new items (3.4 ns a byte). The items of an owner's last few inputs of at least 16 KB are kept
 * as one prefix each, from the `[` to the end of the last item; an input that starts with a kept
 * prefix followed by `,` or `]` skips it by one comparison and walks only the items added (the
 * same bytes from the same `[`, with at least the same room to nest, hold the same valid items).
 * Per owner, like the kept values: 4 prefixes of at most 8 MB each, 64 MB in all.
 */
const PREFIX_MIN = 16 * 1024;
const PREFIX_MAX = 8 * 1024 * 1024;

interface InputPrefix {
  bytes: Buffer;
  room: number;
  /** Items the prefix holds (each counts as one value, like a kept value). */
  items: number;
}

class InputPrefixes {
  private readonly list: InputPrefix[] = [];
  bytes = 0;

  /** The longest kept prefix that buf holds at `at` with at most `room` to nest, else null. */
  match(buf: Buffer, at: number, room: number): InputPrefix | null {
    let best: InputPrefix | null = null;
    for (const prefix of this.list) {
      const length = prefix.bytes.length;
      // Something must follow the prefix (`,` or `]`).
      if (prefix.room <= room && at + length < buf.length && (best === null || length > best.bytes.length)) {
        if (holds(buf, at, prefix.bytes)) best = prefix;
      }
    }
    return best;
  }

  /** Keeps buf[at, end), in place of `extended` (the prefix it grew from), if any. */
  keep(buf: Buffer, at: number, end: number, room: number, items: number, extended: InputPrefix | null): void {
    const index = extended ? this.list.indexOf(extended) : -1;
    if (index !== -1) this.bytes -= this.list.splice(index, 1)[0].bytes.length;
    else if (this.list.length >= 4) this.bytes -= this.list.shift()!.bytes.length;
    this.list.push({ bytes: Buffer.from(buf.subarray(at, end)), room, items });
    this.bytes += end - at;
  }
}

const inputPrefixes = new PerOwner(() => new InputPrefixes(), 1024, 64 * 1024 * 1024);

/**
 * Offset just past the array at `i` (inside `depth` containers): a kept prefix of it skipped by
 * comparison (see InputPrefix), then each element skipped by comparison when it is kept
 * (KEPT_ITEMS).
 */
function skipKeepableItems(buf: Buffer, i: number, depth: number): number {
  countValue(i);
  if (depth >= Math.min(limits.depth, MAX_DEPTH)) {
    throw new JsonLimitError(`Nested deeper than ${limits.depth} levels`, i);
  }
  const open = i;
  const room = roomAt(depth);
  // Only a body long enough to hold a kept prefix looks for one.
  const prefixes = buf.length - open > PREFIX_MIN ? inputPrefixes.get(scope) : undefined;
  const matched = prefixes ? prefixes.match(buf, open, room) : null;
  let items = 0;
  let end: number;
  if (matched) {
    end = open + matched.bytes.length;
    items = matched.items;
    countValue(open, items);
    i = nextAfter(buf, end, CLOSE_BRACKET);
  } else {
    i = skipSpace(buf, i + 1);
    if (buf[i] === CLOSE_BRACKET) return i + 1;
    end = i;
  }
  for (; i !== -1; i = nextAfter(buf, end, CLOSE_BRACKET)) {
    if (i >= buf.length) throw bad('Unterminated array', i);
    end = buf[i] === OPEN_BRACE ? skipKeepable(buf, i, depth + 1) : skipValue(buf, i, depth + 1);
    items++;
  }
  const length = end - open;
  if (length >= PREFIX_MIN && length <= PREFIX_MAX && (!matched || length > matched.bytes.length)) {
    const store = prefixes ?? inputPrefixes.for(scope);
    store.keep(buf, open, end, room, items, matched);
    inputPrefixes.resize(scope, store);
  }
  return skipSpace(buf, end) + 1;
}

/** A checked string's text: its bytes decoded directly unless it has escapes to undo. */
function stringAt(buf: Buffer, start: number, end: number): string {
  if (!hasBackslash(buf, start + 1, end - 1)) return buf.toString('utf8', start + 1, end - 1);
  return parse(buf, start, end) as string;
}

/** JSON.parse of buf[start, end), its failure a BadJsonError (bytes not scanned may be anything). */
function parse(buf: Buffer, start: number, end: number): unknown {
  try {
    return JSON.parse(buf.toString('utf8', start, end));
  } catch (error) {
    throw bad(`Invalid JSON value: ${(error as Error).message}`, start);
  }
}

function hasBackslash(buf: Buffer, start: number, end: number): boolean {
  if (end - start > SHORT_STRING) return buf.subarray(start, end).includes(BACKSLASH);
  for (let i = start; i < end; i++) if (buf[i] === BACKSLASH) return true;
  return false;
}

/** Whether the member name whose quotes are at `start` and `end - 1` is `name` (ASCII). */
function nameIs(buf: Buffer, start: number, end: number, name: Buffer): boolean {
  if (end - start - 2 !== name.length) {
    // A name written with escapes is longer than its text. Its text starts with its first byte
    // unless that byte starts an escape (a byte of a multi-byte character is never ASCII), so
    // most longer names are told apart by that byte alone, without looking for a backslash.
    const first = buf[start + 1];
    return (
      end - start - 2 > name.length &&
      (first === name[0] || first === BACKSLASH) &&
      hasBackslash(buf, start + 1, end - 1) &&
      stringAt(buf, start, end) === name.toString()
    );
  }
  for (let i = 0; i < name.length; i++) if (buf[start + 1 + i] !== name[i]) return false;
  return true;
}

/**
 * Where the value of member `name` starts in the object whose `{` is at `at` (after spaces), or
 * -1 when the object has none. Stops at the first match without walking its value, and
 * allocates nothing on the way: for reading one or two members of an event from a trusted
 * upstream, where scan() would build them all. BadJsonError when the bytes on the way are not an
 * object.
 */
export function findMemberStart(buf: Buffer, at: number, name: Buffer): number {
  begin(UPSTREAM_LIMITS);
  try {
    let i = skipSpace(buf, at);
    if (buf[i] !== OPEN_BRACE) throw bad('Expected an object', i);
    i = skipSpace(buf, i + 1);
    if (buf[i] === CLOSE_BRACE) return -1;
    for (; i !== -1; i = nextAfter(buf, skipValue(buf, i, 1), CLOSE_BRACE)) {
      if (buf[i] !== QUOTE) throw bad('Expected a member name', i);
      const keyEnd = skipString(buf, i);
      const match = nameIs(buf, i, keyEnd, name);
      i = valueAfterName(buf, keyEnd);
      if (match) return i;
    }
    return -1;
  } finally {
    finish();
  }
}

/**
 * findMemberStart for several names in one walk of the object at `at`: starts[k] is where
 * names[k]'s value starts, or -1 when the object has none (the first occurrence, as there).
 * Stops once every name was found. For the terminal event, whose response object repeats the
 * whole request and answer: one walk instead of one per member read.
 */
export function findMemberStarts(
  buf: Buffer,
  at: number,
  names: readonly Buffer[],
  starts: Int32Array,
  owner: string | null = null,
): void {
  starts.fill(-1);
  begin(UPSTREAM_LIMITS);
  try {
    let i = skipSpace(buf, at);
    if (buf[i] !== OPEN_BRACE) throw bad('Expected an object', i);
    i = skipSpace(buf, i + 1);
    if (buf[i] === CLOSE_BRACE) return;
    let missing = names.length;
    let end = i;
    for (; i !== -1; i = nextAfter(buf, end, CLOSE_BRACE)) {
      if (buf[i] !== QUOTE) throw bad('Expected a member name', i);
      const keyEnd = skipString(buf, i);
      const valueStart = valueAfterName(buf, keyEnd);
      for (let k = 0; k < names.length; k++) {
        if (starts[k] === -1 && nameIs(buf, i, keyEnd, names[k])) {
          starts[k] = valueStart;
          if (--missing === 0) return;
          break;
        }
      }
      if (nameIs(buf, i, keyEnd, TOOLS) || nameIs(buf, i, keyEnd, INSTRUCTIONS)) {
        const values = upstreamKept.for(owner);
        end = values.endAt(buf, valueStart, 1);
        if (end === -1) {
          end = skipValue(buf, valueStart, 1);
          if (values.walked(buf, valueStart, end, 1)) upstreamKept.resize(owner, values);
        }
      } else {
        end = skipValue(buf, valueStart, 1);
      }
    }
  } finally {
    finish();
  }
}

/** The value at `start` (from findMemberStarts), parsed; undefined for -1. */
export function valueAt(buf: Buffer, start: number): unknown {
  return start === -1 ? undefined : parse(buf, start, upstreamValueEnd(buf, start));
}

/**
 * The number at `start` (from findMemberStarts); null for -1 or a value that is not a finite
 * number. A plain integer of up to 15 digits is read from its bytes; any other form is parsed.
 */
export function numberValueAt(buf: Buffer, start: number): number | null {
  if (start === -1) return null;
  let value = 0;
  let i = start;
  for (; i < buf.length && i - start < 15; i++) {
    const byte = buf[i];
    if (byte < 0x30 || byte > 0x39) break;
    value = value * 10 + (byte - 0x30);
  }
  const next = buf[i];
  if (
    i > start &&
    (next === COMMA || next === CLOSE_BRACE || next === CLOSE_BRACKET || isSpace(next)) &&
    (buf[start] !== 0x30 || i - start === 1)
  ) {
    return value;
  }
  const parsed = valueAt(buf, start);
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : null;
}

/** The text of the string value at `start` (from findMemberStarts); null for -1 or a non-string. */
export function stringValueAt(buf: Buffer, start: number): string | null {
  return start === -1 || buf[start] !== QUOTE ? null : stringAt(buf, start, upstreamValueEnd(buf, start));
}

/** Offset just past the value at `start` of an upstream event, walked under the upstream's limits. */
export function upstreamValueEnd(buf: Buffer, start: number): number {
  begin(UPSTREAM_LIMITS);
  try {
    return skipValue(buf, start, 1);
  } finally {
    finish();
  }
}

/** The [start, end) of member `name`'s value (see findMemberStart), or null when absent. */
export function findMember(buf: Buffer, at: number, name: Buffer): [number, number] | null {
  const start = findMemberStart(buf, at, name);
  return start === -1 ? null : [start, upstreamValueEnd(buf, start)];
}

/** Member `name`'s text when it is a string, else null (see findMemberStart). */
export function findString(buf: Buffer, at: number, name: Buffer): string | null {
  const start = findMemberStart(buf, at, name);
  return start === -1 || buf[start] !== QUOTE ? null : stringAt(buf, start, upstreamValueEnd(buf, start));
}

/** Member `name`'s value, parsed; undefined when absent (see findMemberStart). */
export function findValue(buf: Buffer, at: number, name: Buffer): unknown {
  const start = findMemberStart(buf, at, name);
  return start === -1 ? undefined : parse(buf, start, upstreamValueEnd(buf, start));
}

/** What scanning one object yields: its members, where it ends, and the expanded array's items. */
interface Scanned {
  members: Map<string, Member>;
  end: number;
  items: (JsonMembers | null)[] | null;
}

/**
 * Scans the object whose `{` is at `i`, inside `depth` enclosing containers. When `expand` names
 * a member holding an array, that array's object elements are scanned in the same pass (see
 * JsonMembers.items). `top`: the body itself, where `unique` applies.
 */
function scanObjectAt(buf: Buffer, i: number, expand: string | null, depth: number, top: boolean): Scanned {
  const members = new Map<string, Member>();
  let items: (JsonMembers | null)[] | null = null;
  if (buf[i] !== OPEN_BRACE) throw bad('Expected an object', i);
  if (depth >= limits.depth) throw new JsonLimitError(`Nested deeper than ${limits.depth} levels`, i);
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_BRACE) return { members, end: i + 1, items };
  let end = i;
  let count = 0;
  for (; i !== -1; i = nextAfter(buf, end, CLOSE_BRACE)) {
    if (buf[i] !== QUOTE) throw bad('Expected a member name', i);
    if (++count > limits.members) throw new JsonLimitError(`More than ${limits.members} members in an object`, i);
    if (--entriesLeft < 0) throw new JsonLimitError(`More than ${limits.entries} members in the body`, i);
    const start = i;
    const keyEnd = skipString(buf, i);
    const key = nameAt(buf, start, keyEnd);
    const valueStart = valueAfterName(buf, keyEnd);
    if (key === expand) items = buf[valueStart] === OPEN_BRACKET ? [] : null;
    if (items !== null && key === expand) {
      countValue(valueStart);
      end = scanItems(buf, valueStart, items, depth + 1);
    } else if (
      top
        ? KEPT_NAMES.has(key) && (buf[valueStart] === OPEN_BRACKET || buf[valueStart] === QUOTE)
        : buf[valueStart] === QUOTE
    ) {
      end = skipKeepable(buf, valueStart, depth + 1);
    } else if (top && key === KEPT_ITEMS && buf[valueStart] === OPEN_BRACKET) {
      end = skipKeepableItems(buf, valueStart, depth + 1);
    } else {
      end = skipValue(buf, valueStart, depth + 1);
    }
    if (top && members.has(key) && limits.unique.includes(key)) throw bad(`Duplicate member "${key}"`, start);
    members.set(key, { start, valueStart, end });
  }
  return { members, end: skipSpace(buf, end) + 1, items };
}

/**
 * Scans the array at `i` (inside `depth` containers) into `items` (objects scanned, anything else
 * null); returns its end.
 */
function scanItems(buf: Buffer, i: number, items: (JsonMembers | null)[], depth: number): number {
  if (depth >= limits.depth) throw new JsonLimitError(`Nested deeper than ${limits.depth} levels`, i);
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_BRACKET) return i + 1;
  let end = i;
  for (; i !== -1; i = nextAfter(buf, end, CLOSE_BRACKET)) {
    if (i >= buf.length) throw bad('Unterminated array', i);
    if (items.length >= limits.items) throw new JsonLimitError(`More than ${limits.items} elements in an array`, i);
    if (buf[i] === OPEN_BRACE) {
      countValue(i);
      const item = scanObjectAt(buf, i, null, depth + 1, false);
      items.push(new JsonMembers(buf, item.members));
      end = item.end;
    } else {
      items.push(null);
      end = skipValue(buf, i, depth + 1);
    }
  }
  return skipSpace(buf, end) + 1;
}

export class JsonMembers {
  /**
   * The elements of the member named by scan()'s `expand`, when it holds an array: each object
   * element's own members (offsets into the same bytes), null for an element that is not an
   * object. Null when that member is absent or not an array.
   */
  items: (JsonMembers | null)[] | null = null;

  /** Built by scan(); offsets in `members` are into `buf`. */
  constructor(
    readonly buf: Buffer,
    readonly members: Map<string, Member>,
  ) {}

  /**
   * Throws BadJsonError when the bytes are not one JSON object (see the file's header for what is
   * checked) or exceed `bounds` (JsonLimitError, a BadJsonError). Duplicate keys: the last wins,
   * except that those named by `bounds.unique` are refused. `expand` names a member whose array
   * elements are scanned in the same pass (see items). `owner`: the tenant whose kept values may
   * be recognised (see PerOwner).
   */
  static scan(
    buf: Buffer,
    expand: string | null = null,
    bounds: ScanLimits = BODY_LIMITS,
    owner: string | null = null,
  ): JsonMembers {
    begin(bounds, owner);
    try {
      countValue(0);
      const i = skipSpace(buf, 0);
      if (buf[i] !== OPEN_BRACE) throw bad('The body is not a JSON object', i);
      const scanned = scanObjectAt(buf, i, expand, 0, true);
      const after = skipSpace(buf, scanned.end);
      if (after !== buf.length) throw bad('Unexpected data after the object', after);
      const json = new JsonMembers(buf, scanned.members);
      json.items = scanned.items;
      return json;
    } finally {
      finish();
    }
  }

  /**
   * The elements of the JSON array that is the whole of `buf`, as items() gives them for an
   * expanded member (BadJsonError when it is not one array, or exceeds `bounds`).
   */
  static items(buf: Buffer, bounds: ScanLimits = BODY_LIMITS, owner: string | null = null): (JsonMembers | null)[] {
    begin(bounds, owner);
    try {
      countValue(0);
      const i = skipSpace(buf, 0);
      if (buf[i] !== OPEN_BRACKET) throw bad('Expected an array', i);
      const items: (JsonMembers | null)[] = [];
      const after = skipSpace(buf, scanItems(buf, i, items, 0));
      if (after !== buf.length) throw bad('Unexpected data after the array', after);
      return items;
    } finally {
      finish();
    }
  }

  has(key: string): boolean {
    return this.members.has(key);
  }

  /** The parsed value of one member (only that member's bytes are parsed). */
  value(key: string): unknown {
    const member = this.members.get(key);
    if (!member) return undefined;
    return parse(this.buf, member.valueStart, member.end);
  }

  /** A string member's value, or null when absent or not a string (BadJsonError if malformed). */
  string(key: string): string | null {
    const member = this.members.get(key);
    if (!member || this.buf[member.valueStart] !== QUOTE) return null;
    return stringAt(this.buf, member.valueStart, member.end);
  }

  /** The raw JSON text of a member's value, e.g. `true`. */
  raw(key: string): string | null {
    const member = this.members.get(key);
    return member ? this.buf.toString('latin1', member.valueStart, member.end) : null;
  }

  /**
   * The object without `drop`ped members and with `set` members (JSON values) replaced or added,
   * built by copying byte ranges: untouched members keep their exact bytes.
   */
  rewrite(drop: readonly string[], set: Record<string, string>): Buffer {
    const parts: Buffer[] = [Buffer.from('{')];
    let first = true;
    const replaced = new Set(Object.keys(set));
    for (const [key, member] of this.members) {
      if (drop.includes(key) || replaced.has(key)) continue;
      if (!first) parts.push(Buffer.from(','));
      parts.push(this.buf.subarray(member.start, member.end));
      first = false;
    }
    for (const [key, json] of Object.entries(set)) {
      parts.push(Buffer.from(`${first ? '' : ','}${JSON.stringify(key)}:${json}`));
      first = false;
    }
    parts.push(Buffer.from('}'));
    return Buffer.concat(parts);
  }
}
