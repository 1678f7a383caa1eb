// Reads the top level of a JSON object without building it: where each member's key and value
// sit in the bytes. The proxy parses only the few small values it needs (model, stream, store,
// prompt_cache_key, ...) and forwards the client's bytes untouched, or spliced, instead of parsing
// and re-serializing request bodies of hundreds of kilobytes.

export interface Member {
  /** Offset of the key's opening quote. */
  start: number;
  valueStart: number;
  /** Offset just past the value. */
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Strings shorter than this (keys, enum values) are walked in JS; longer ones by indexOf. */
const SHORT_STRING = 48;

/** Offset just past the string whose opening quote is at `at`. */
function skipString(buf: Buffer, at: number): number {
  let i = at + 1;
  const limit = Math.min(buf.length, i + SHORT_STRING);
  for (; i < limit; i++) {
    const byte = buf[i];
    if (byte === QUOTE) return i + 1;
    if (byte === BACKSLASH) i++;
  }
  for (;;) {
    const quote = buf.indexOf(QUOTE, i);
    if (quote === -1) throw new SyntaxError('Unterminated string');
    // The quote is escaped when an odd run of backslashes comes right before it.
    let backslashes = 0;
    for (let j = quote - 1; j > at && buf[j] === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

/**
 * Member names repeat from body to body (model, input, type, delta...), so short names are decoded
 * once: a name's bytes are hashed in JS and its string is found in this table, confirmed byte for
 * byte. The table stops growing at a bound; names beyond it are decoded as before.
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
 * Tool lists are large (tens of nested schemas) and clients send the same list, byte for byte,
 * with every request of a conversation: Codex CLI and the SDKs alike. A `tools` list seen twice
 * is kept, and a later body whose `tools` starts with the same bytes is skipped by one comparison
 * instead of a walk (a JSON array ends where its bytes say). Other members change from request to
 * request and are always walked. Bounded in count and size.
 */
const TOOLS = 'tools';
const KEPT_MIN = 1024;
const KEPT_MAX = 1024 * 1024;
const KEPT_LISTS = 4;
const keptTools: Buffer[] = [];
/** Length and last bytes of recently walked lists, to spot a repeat. */
const recentTools: string[] = [];

/** Where the kept tool list that buf holds at `at` ends, or -1. */
function knownToolsEnd(buf: Buffer, at: number): number {
  for (const value of keptTools) {
    const end = at + value.length;
    if (
      end <= buf.length &&
      buf[end - 1] === value[value.length - 1] &&
      buf.compare(value, 0, value.length, at, end) === 0
    ) {
      return end;
    }
  }
  return -1;
}

function noteToolsWalked(buf: Buffer, at: number, end: number): void {
  const length = end - at;
  if (length < KEPT_MIN || length > KEPT_MAX) return;
  const seen = `${length}:${buf.toString('latin1', end - 32, end)}`;
  const index = recentTools.indexOf(seen);
  if (index === -1) {
    if (recentTools.push(seen) > KEPT_LISTS * 2) recentTools.shift();
    return;
  }
  recentTools.splice(index, 1);
  if (keptTools.length >= KEPT_LISTS) keptTools.shift();
  keptTools.push(Buffer.from(buf.subarray(at, end)));
}

/** A string's text: its bytes decoded directly unless it has escapes to undo. */
function stringAt(buf: Buffer, start: number, end: number): string {
  if (!hasBackslash(buf, start + 1, end - 1)) return buf.toString('utf8', start + 1, end - 1);
  return JSON.parse(buf.toString('utf8', start, end)) as string;
}

function hasBackslash(buf: Buffer, start: number, end: number): boolean {
  if (end - start > SHORT_STRING) return buf.subarray(start, end).includes(BACKSLASH);
  for (let i = start; i < end; i++) if (buf[i] === BACKSLASH) return true;
  return false;
}

function skipSpace(buf: Buffer, i: number): number {
  while (i < buf.length && isSpace(buf[i])) i++;
  return i;
}

/** Offset just past the value starting at `i` (any JSON value). */
function skipValue(buf: Buffer, i: number): number {
  const first = buf[i];
  if (first === QUOTE) return skipString(buf, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    while (i < buf.length) {
      const byte = buf[i];
      if (byte === QUOTE) {
        i = skipString(buf, i);
        continue;
      }
      if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new SyntaxError('Unterminated object or array');
  }
  // number, true, false, null
  const start = i;
  while (i < buf.length) {
    const byte = buf[i];
    if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isSpace(byte)) break;
    i++;
  }
  if (i === start) throw new SyntaxError('Expected a value');
  return i;
}

/** Where the value starts after a member name ending at `keyEnd` (its colon checked). */
function valueAfterName(buf: Buffer, keyEnd: number): number {
  const colon = skipSpace(buf, keyEnd);
  if (buf[colon] !== COLON) throw new SyntaxError('Expected ":"');
  const valueStart = skipSpace(buf, colon + 1);
  if (valueStart >= buf.length) throw new SyntaxError('Unexpected end of the body');
  return valueStart;
}

/**
 * After a member or element ending at `end`: where the next one starts, or -1 when `close`
 * (`}` or `]`) ends the object or array there.
 */
function nextAfter(buf: Buffer, end: number, close: number): number {
  const i = skipSpace(buf, end);
  if (buf[i] === COMMA) return skipSpace(buf, i + 1);
  if (buf[i] === close) return -1;
  throw new SyntaxError(close === CLOSE_BRACE ? 'Expected "," or "}"' : 'Expected "," or "]"');
}

/** Whether the member name whose quotes are at `start` and `end - 1` is `name` (ASCII). */
function nameIs(buf: Buffer, start: number, end: number, name: Buffer): boolean {
  if (end - start - 2 !== name.length) {
    // A name written with escapes is longer than its text.
    return (
      end - start - 2 > name.length &&
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
 * upstream, where scan() would build them all. SyntaxError when the bytes on the way are not an
 * object.
 */
export function findMemberStart(buf: Buffer, at: number, name: Buffer): number {
  let i = skipSpace(buf, at);
  if (buf[i] !== OPEN_BRACE) throw new SyntaxError('Expected an object');
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_BRACE) return -1;
  for (; i !== -1; i = nextAfter(buf, skipValue(buf, i), CLOSE_BRACE)) {
    if (buf[i] !== QUOTE) throw new SyntaxError('Expected a member name');
    const keyEnd = skipString(buf, i);
    const match = nameIs(buf, i, keyEnd, name);
    i = valueAfterName(buf, keyEnd);
    if (match) return i;
  }
  return -1;
}

/** The [start, end) of member `name`'s value (see findMemberStart), or null when absent. */
export function findMember(buf: Buffer, at: number, name: Buffer): [number, number] | null {
  const start = findMemberStart(buf, at, name);
  return start === -1 ? null : [start, skipValue(buf, start)];
}

/** Member `name`'s text when it is a string, else null (see findMemberStart). */
export function findString(buf: Buffer, at: number, name: Buffer): string | null {
  const start = findMemberStart(buf, at, name);
  return start === -1 || buf[start] !== QUOTE ? null : stringAt(buf, start, skipString(buf, start));
}

/** Member `name`'s value, parsed; undefined when absent (see findMemberStart). */
export function findValue(buf: Buffer, at: number, name: Buffer): unknown {
  const start = findMemberStart(buf, at, name);
  return start === -1 ? undefined : JSON.parse(buf.toString('utf8', start, skipValue(buf, start)));
}

/** What scanning one object yields: its members, where it ends, and the expanded array's items. */
interface Scanned {
  members: Map<string, Member>;
  end: number;
  items: (JsonMembers | null)[] | null;
}

/**
 * Scans the object whose `{` is at `i`. When `expand` names a member holding an array, that
 * array's object elements are scanned in the same pass (see JsonMembers.items).
 */
function scanObjectAt(buf: Buffer, i: number, expand: string | null): Scanned {
  const members = new Map<string, Member>();
  let items: (JsonMembers | null)[] | null = null;
  if (buf[i] !== OPEN_BRACE) throw new SyntaxError('Expected an object');
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_BRACE) return { members, end: i + 1, items };
  let end = i;
  for (; i !== -1; i = nextAfter(buf, end, CLOSE_BRACE)) {
    if (buf[i] !== QUOTE) throw new SyntaxError('Expected a member name');
    const start = i;
    const keyEnd = skipString(buf, i);
    const key = nameAt(buf, start, keyEnd);
    const valueStart = valueAfterName(buf, keyEnd);
    if (key === expand) items = buf[valueStart] === OPEN_BRACKET ? [] : null;
    if (items !== null && key === expand) {
      end = scanItems(buf, valueStart, items);
    } else if (key === TOOLS && buf[valueStart] === OPEN_BRACKET) {
      end = knownToolsEnd(buf, valueStart);
      if (end === -1) {
        end = skipValue(buf, valueStart);
        noteToolsWalked(buf, valueStart, end);
      }
    } else {
      end = skipValue(buf, valueStart);
    }
    members.set(key, { start, valueStart, end });
  }
  return { members, end: skipSpace(buf, end) + 1, items };
}

/** Scans the array at `i` into `items` (objects scanned, anything else null); returns its end. */
function scanItems(buf: Buffer, i: number, items: (JsonMembers | null)[]): number {
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_BRACKET) return i + 1;
  let end = i;
  for (; i !== -1; i = nextAfter(buf, end, CLOSE_BRACKET)) {
    if (i >= buf.length) throw new SyntaxError('Unterminated array');
    if (buf[i] === OPEN_BRACE) {
      const item = scanObjectAt(buf, i, null);
      items.push(new JsonMembers(buf, item.members));
      end = item.end;
    } else {
      items.push(null);
      end = skipValue(buf, i);
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
   * Throws SyntaxError when the bytes are not one JSON object (duplicate keys: the last wins).
   * `expand` names a member whose array elements are scanned in the same pass (see items).
   */
  static scan(buf: Buffer, expand: string | null = null): JsonMembers {
    const i = skipSpace(buf, 0);
    if (buf[i] !== OPEN_BRACE) throw new SyntaxError('The body is not a JSON object');
    const scanned = scanObjectAt(buf, i, expand);
    if (skipSpace(buf, scanned.end) !== buf.length) throw new SyntaxError('Unexpected data after the object');
    const json = new JsonMembers(buf, scanned.members);
    json.items = scanned.items;
    return json;
  }

  /**
   * The elements of the JSON array that is the whole of `buf`, as items() gives them for an
   * expanded member (SyntaxError when it is not one array).
   */
  static items(buf: Buffer): (JsonMembers | null)[] {
    const i = skipSpace(buf, 0);
    if (buf[i] !== OPEN_BRACKET) throw new SyntaxError('Expected an array');
    const items: (JsonMembers | null)[] = [];
    if (skipSpace(buf, scanItems(buf, i, items)) !== buf.length)
      throw new SyntaxError('Unexpected data after the array');
    return items;
  }

  has(key: string): boolean {
    return this.members.has(key);
  }

  /** The parsed value of one member (only that member's bytes are parsed). */
  value(key: string): unknown {
    const member = this.members.get(key);
    if (!member) return undefined;
    return JSON.parse(this.buf.toString('utf8', member.valueStart, member.end));
  }

  /** A string member's value, or null when absent or not a string. */
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
