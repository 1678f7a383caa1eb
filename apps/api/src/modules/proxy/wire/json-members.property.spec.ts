// The byte scanner held to JSON.parse on generated inputs, valid and not: it accepts exactly the
// bodies JSON.parse turns into an object, and reads the same members from them.
import fc from 'fast-check';
import { BadJsonError, findString, findValue, JsonMembers, numberValueAt, type ScanLimits } from './json-members';

type Json = Record<string, unknown>;

/** No bound but the walker's own depth: the comparison is about the grammar. */
const UNBOUNDED: ScanLimits = {
  members: Infinity,
  depth: 512,
  values: Infinity,
  items: Infinity,
  entries: Infinity,
  unique: [],
};

const RUNS = { numRuns: 400 };

function parsed(buf: Buffer): { ok: true; value: Json } | { ok: false } {
  try {
    const value = JSON.parse(buf.toString('utf8')) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { ok: true, value: value as Json };
  } catch {
    // refused
  }
  return { ok: false };
}

/** Scan and JSON.parse agree on `buf`: both refuse it, or both read the same members. */
function agree(buf: Buffer, expand: string | null = null): void {
  const expected = parsed(buf);
  let json: JsonMembers;
  try {
    json = JsonMembers.scan(buf, expand, UNBOUNDED);
  } catch (error) {
    expect(error).toBeInstanceOf(BadJsonError);
    expect(expected.ok).toBe(false);
    return;
  }
  expect(expected.ok).toBe(true);
  if (!expected.ok) return;
  const object = expected.value;
  expect(new Set(json.members.keys())).toEqual(new Set(Object.keys(object)));
  for (const key of Object.keys(object)) {
    expect(json.value(key)).toEqual(object[key]);
    expect(json.string(key)).toBe(typeof object[key] === 'string' ? object[key] : null);
  }
  if (expand !== null) {
    const list = object[expand];
    if (!Array.isArray(list)) {
      expect(json.items).toBeNull();
    } else {
      expect(json.items).toHaveLength(list.length);
      list.forEach((element, i) => {
        const item = json.items![i];
        if (element !== null && typeof element === 'object' && !Array.isArray(element)) {
          expect(new Set(item!.members.keys())).toEqual(new Set(Object.keys(element)));
          for (const key of Object.keys(element)) expect(item!.value(key)).toEqual((element as Json)[key]);
        } else {
          expect(item).toBeNull();
        }
      });
    }
  }
}

/** Characters that matter to the grammar, to insert or substitute. */
const SIGNIFICANT = [...'{}[]",:\\/ \t\n\rtfnrueE+-.0123456789abx', '\u0000', '\u001f', '\u007f', '\u00e9', '\u2028'];

const edit = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: fc.constantFrom(...SIGNIFICANT) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: fc.constantFrom(...SIGNIFICANT) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

type Edit = { kind: 'delete' | 'truncate'; at: number } | { kind: 'insert' | 'replace'; at: number; char: string };

function mutate(text: string, edits: Edit[]): string {
  for (const e of edits) {
    const at = text.length === 0 ? 0 : e.at % (text.length + 1);
    if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + 1);
    else if (e.kind === 'truncate') text = text.slice(0, at);
    else if (e.kind === 'insert') text = text.slice(0, at) + e.char + text.slice(at);
    else if (e.kind === 'replace') text = text.slice(0, at) + e.char + text.slice(at + 1);
  }
  return text;
}

/** Objects of any JSON values, written compactly or with whitespace. */
const objectText = fc
  .tuple(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 }), fc.constantFrom(0, 1, '\t'))
  .map(([object, space]) => JSON.stringify(object, null, space || undefined));

/** A long string with now and then an escape, a quote, or a byte JSON refuses: the word-at-a-time path. */
const longString = fc
  .array(
    fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom('a', 'b', ' ', 'é', '☃', '\u{1f600}') },
      { weight: 1, arbitrary: fc.constantFrom('\\n', '\\"', '\\\\', '\\u00e9', '\\u12', '\\x', '"', '\\') },
      { weight: 1, arbitrary: fc.constantFrom('\n', '\t', '\u0000', '\u001f', '\u007f') },
    ),
    { minLength: 40, maxLength: 400 },
  )
  .map((parts) => parts.join(''));

describe('JsonMembers.scan against JSON.parse (generated)', () => {
  it('accepts every generated object and reads its members as JSON.parse does', () => {
    fc.assert(
      fc.property(objectText, (text) => agree(Buffer.from(text))),
      RUNS,
    );
  });

  it('accepts exactly what JSON.parse accepts after random edits, truncation included', () => {
    fc.assert(
      fc.property(objectText, fc.array(edit, { minLength: 1, maxLength: 3 }), (text, edits) =>
        agree(Buffer.from(mutate(text, edits))),
      ),
      RUNS,
    );
  });

  it('agrees on fc.json() texts, edited or not, and on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), fc.array(edit, { maxLength: 2 }), (text, edits) =>
        agree(Buffer.from(mutate(text, edits))),
      ),
      RUNS,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => agree(Buffer.from(bytes))),
      RUNS,
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SIGNIFICANT), { maxLength: 24 }), (chars) =>
        agree(Buffer.from(`{"a":${chars.join('')}}`)),
      ),
      RUNS,
    );
  });

  it('checks long strings four bytes at a time as JSON.parse checks them, at any alignment', () => {
    fc.assert(
      fc.property(longString, fc.nat(7), (text, pad) => {
        const body = `{"k":"${text}","after":[1,"x"]}`;
        // Place the bytes at every offset modulo 8 inside a larger ArrayBuffer.
        const backing = Buffer.alloc(body.length * 4 + 16);
        const length = backing.write(body, pad);
        agree(backing.subarray(pad, pad + length));
      }),
      RUNS,
    );
  });

  it('agrees on bodies that repeat large input items (kept and skipped by comparison), edited or not', () => {
    // Items over the keeping threshold (1 KB), so that repeats are kept between runs.
    const pool = [0, 1, 2].map((n) => ({
      type: 'message',
      role: n === 0 ? 'developer' : 'user',
      content: [{ type: 'input_text', text: `item ${n}: ${'a "b" \\ c\n'.repeat(120)}` }],
      extra: [[n, { deep: [null, true] }]],
    }));
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 1, 2, 3), { maxLength: 5 }),
        fc.array(edit, { maxLength: 2 }),
        (picks, edits) => {
          const input = picks.map((k) => (k < 3 ? pool[k] : `short ${k}`));
          agree(Buffer.from(mutate(JSON.stringify({ model: 'm', input, stream: true }), edits)));
        },
      ),
      RUNS,
    );
  });

  it("agrees on a conversation resent turn after turn (the last turn's items skipped by comparison), edited or not", () => {
    // Items of ~1.6 KB: ten or more make an input long enough for its prefix to be kept.
    const item = (n: number) => ({
      type: 'message',
      role: n % 2 ? 'user' : 'assistant',
      content: [{ type: 'input_text', text: `${n}: ${'x "y" \\ z\n'.repeat(140)}` }],
    });
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 16 }), fc.array(edit, { maxLength: 2 }), (n, edits) => {
        const input = Array.from({ length: n }, (_, i) => item(i));
        agree(Buffer.from(mutate(JSON.stringify({ model: 'm', input, stream: true }), edits)));
      }),
      RUNS,
    );
  });

  it('reads expanded array elements as JSON.parse does', () => {
    const messages = fc.array(fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), fc.jsonValue()), {
      maxLength: 6,
    });
    fc.assert(
      fc.property(messages, fc.array(edit, { maxLength: 2 }), (list, edits) =>
        agree(Buffer.from(mutate(JSON.stringify({ model: 'm', messages: list }), edits)), 'messages'),
      ),
      RUNS,
    );
  });

  it('finds single members as JSON.parse reads them', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), fc.string(), (object, key) => {
        const buf = Buffer.from(JSON.stringify(object));
        const name = Buffer.from(key);
        // findMemberStart matches names as bytes: only ASCII names are asked for.
        if (!/^[\x20-\x7e]*$/.test(key) || key.includes('"') || key.includes('\\')) return;
        // The oracle is JSON.parse of the bytes, not the generated object: JSON.stringify writes -0 as
        // 0, and toEqual tells the two apart.
        const expected = parsed(buf);
        if (!expected.ok) throw new Error('JSON.stringify wrote an object JSON.parse refuses');
        const value = expected.value;
        const has = Object.prototype.hasOwnProperty.call(value, key);
        // The first occurrence is found (no duplicates from JSON.stringify).
        expect(findValue(buf, 0, name)).toEqual(has ? value[key] : undefined);
        expect(findString(buf, 0, name)).toBe(has && typeof value[key] === 'string' ? value[key] : null);
      }),
      RUNS,
    );
  });

  // Like the other single-member reads, for the upstream's events: it reads valid JSON exactly as
  // JSON.parse does (an event JSON.parse refuses is not the subject here).
  it('reads numbers from their bytes as JSON.parse reads them, in every valid form', () => {
    const texts = fc.oneof(
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map(String),
      fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
      fc.double().map((n) => JSON.stringify(n)),
      fc.stringMatching(/^-?[0-9]{1,20}(\.[0-9]{0,4})?([eE][-+]?[0-9]{0,3})?$/),
      fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(texts, fc.constantFrom(',', '}', ']', ' '), (text, after) => {
        const buf = Buffer.from(`{"n":${text}${after}${after === ',' ? '"m":1}' : after === ' ' ? '}' : ''}`);
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          return;
        }
        expect(numberValueAt(buf, 5)).toBe(typeof value === 'number' && Number.isFinite(value) ? value : null);
      }),
      RUNS,
    );
  });
});
