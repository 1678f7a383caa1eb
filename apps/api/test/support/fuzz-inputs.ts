// Generated hostile inputs for the fuzz spec: path parameters, query strings and request bodies
// (with their content types) that a careless or hostile client could send. Everything is built
// as bytes on the wire, so NUL bytes, lone surrogates and invalid UTF-8 reach the server as sent.
import fc from 'fast-check';

export interface WireBody {
  contentType?: string;
  body: string | Buffer;
  /** A short description for the failure report. */
  label: string;
}

// Field names the DTOs and the proxy read; generated objects use them so values reach validation.
export const FIELD_NAMES = [
  'username',
  'password',
  'currentPassword',
  'newPassword',
  'role',
  'isActive',
  'active',
  'name',
  'alias',
  'ownerId',
  'expiresAt',
  'accountIds',
  'allowedModels',
  'limits',
  'kind',
  'window',
  'max',
  'model',
  'flow',
  'flowId',
  'callbackUrl',
  'tokens',
  'id_token',
  'access_token',
  'refresh_token',
  'account_id',
  'last_refresh',
  'OPENAI_API_KEY',
  'input',
  'instructions',
  'messages',
  'content',
  'stream',
  'tools',
  'tool_choice',
  'reasoning',
  'include',
  'store',
  'previous_response_id',
  'prompt_cache_key',
  'max_tokens',
  'temperature',
  'stream_options',
  '__proto__',
  'constructor',
  '',
] as const;

export const QUERY_KEYS = [
  'ownerId',
  'from',
  'to',
  'bucket',
  'groupBy',
  'apiKeyId',
  'accountId',
  'model',
  'status',
  'route',
  'q',
  'limit',
  'offset',
  'cursor',
  'format',
  'page',
  '__proto__',
  'constructor',
  'limit[]',
  'from[gte]',
  '',
] as const;

const long = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** Scalars and small structures of every wrong kind. */
const BAD_CONSTANTS: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e20,
  -1e20,
  2 ** 53 + 1,
  1e308,
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '\ufeff',
  '\u202e',
  'NaN',
  '1e20',
  '-1',
  '2024-02-30T00:00:00Z',
  '2024-13-01',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '0000-00-00T00:00:00Z',
  'not-a-date',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "'; DROP TABLE users; --",
  '%00',
  [],
  {},
  [null],
  [''],
  ['\u0000'],
  [1e20],
  { kind: null, window: null, max: null },
  { kind: 'requests', window: 'daily', max: 1e20 },
  JSON.parse('{"__proto__":{"polluted":1}}'),
];

const LONG_STRINGS = [
  long('a', 129),
  long('a', 256),
  long('a', 1_001),
  long('a', 100_000),
  long('\u0000', 1_000),
  long('\ud800', 1_000),
  long('é', 10_000),
  long('😀', 10_000),
];

/** Any UTF-16 code unit, lone surrogates included. */
const anyCodeUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  maxLength: 40,
});

export const badValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...BAD_CONSTANTS) },
  { weight: 1, arbitrary: fc.constantFrom(...LONG_STRINGS) },
  { weight: 2, arbitrary: anyCodeUnits },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

export const fieldName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  { weight: 1, arbitrary: anyCodeUnits },
);

// ---- bodies too big or too deep (built once; the same text is sent each time it is drawn) ----

function deepArray(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}
function deepObject(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
function manyMembers(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`"unknown_member_${i}":${i}`);
  return `{${parts.join(',')}}`;
}
function longArray(count: number): string {
  return `{"accountIds":[${'"00000000-0000-4000-8000-000000000000",'.repeat(count)}"x"]}`;
}

/** Bodies every body-taking route gets once per run, whatever the sample draws. */
export const HEAVY: WireBody[] = [
  { contentType: 'application/json', body: deepArray(100), label: 'nested arrays, depth 100' },
  { contentType: 'application/json', body: deepArray(10_000), label: 'nested arrays, depth 10,000' },
  { contentType: 'application/json', body: deepArray(100_000), label: 'nested arrays, depth 100,000' },
  { contentType: 'application/json', body: deepObject(10_000), label: 'nested objects, depth 10,000' },
  {
    contentType: 'application/json',
    body: `{"name":${deepArray(5_000)},"model":${deepObject(5_000)}}`,
    label: 'deep values in known fields',
  },
  { contentType: 'application/json', body: manyMembers(1_000), label: '1,000 unknown members' },
  { contentType: 'application/json', body: manyMembers(200_000), label: '200,000 unknown members (3 MB)' },
  { contentType: 'application/json', body: longArray(100_000), label: 'array of 100,000 ids' },
  {
    contentType: 'application/json',
    body: `{"name":"${long('a', 2_000_000)}","model":"${long('b', 2_000_000)}"}`,
    label: 'two 2 MB strings',
  },
  {
    contentType: 'application/json',
    body: `{"input":"${long('\\u0000', 60_000)}"}`,
    label: '60,000 escaped NULs',
  },
];

// ---- text that is not JSON, or JSON in a way parsers disagree about ----

const RAW_TEXTS: string[] = [
  '',
  ' ',
  '{',
  '}',
  '[',
  '{"a":',
  '{"a":1,}',
  '{a:1}',
  "{'a':1}",
  'nul',
  'null',
  'true',
  '0',
  '-0',
  '1e999999',
  `1${'0'.repeat(10_000)}`,
  '"\\ud800"',
  '"\\u0000"',
  '"\\uZZZZ"',
  'NaN',
  '{"a":1}garbage',
  '{"a":1}{"b":2}',
  '\ufeff{"name":"bom"}',
  '{"name":"x","name":"y"}',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '\u0000',
  '{"name":"a\u0000b"}',
  '[1,2,3]',
  `"${long('x', 10_000)}"`,
];

const INVALID_UTF8: Buffer[] = [
  Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"name":"\xff\xfe"}
  Buffer.concat([Buffer.from('{"model":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), // CESU surrogate
  Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xc0, 0x80]), Buffer.from('"}')]), // overlong NUL
  Buffer.from([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]), // UTF-16 with BOM
];

const MULTIPART = [
  {
    contentType: 'multipart/form-data; boundary=xyz',
    body: '--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\n{',
  },
  { contentType: 'multipart/form-data', body: '--xyz\r\n\r\n--xyz--' },
  { contentType: 'multipart/form-data; boundary=', body: '' },
  {
    contentType: 'multipart/form-data; boundary=xyz',
    body:
      '--xyz\r\nContent-Disposition: form-data; name="file"; filename="auth.json"\r\n' +
      'Content-Type: application/json\r\n\r\n{"tokens":{"id_token":"a.b.c"}}\r\n--xyz--\r\n',
  },
  {
    contentType: 'multipart/form-data; boundary=xyz',
    body:
      '--xyz\r\nContent-Disposition: form-data; name="file"; filename="\u0000.json"\r\n\r\n' +
      `${long('x', 300_000)}\r\n--xyz--\r\n`,
  },
  {
    contentType: 'multipart/form-data; boundary=xyz',
    body: `${'--xyz\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n'.repeat(200)}--xyz--\r\n`,
  },
];

const OTHER_TYPES = [
  'text/plain',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/xml',
  'application/x-www-form-urlencoded',
  'application/vnd.api+json',
  'application/json, text/plain',
  ' application/json',
];

const FORM_BODIES = [
  'username=%00&password=%ED%A0%80',
  'a=1&a=2&a[]=3&a[b]=4',
  '%',
  '__proto__[x]=1',
  `name=${long('a', 100_000)}`,
];

function json(value: unknown): WireBody {
  const text = JSON.stringify(value) ?? 'null';
  return { contentType: 'application/json', body: text, label: `json ${excerpt(text)}` };
}

export function excerpt(text: string, max = 100): string {
  const shown = JSON.stringify(text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);
  return shown.slice(1, -1);
}

// ---- mutations of a body the route would accept ----

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = [], depth = 0): Path[] {
  if (depth > 3 || value === null || typeof value !== 'object') return [];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => [
    [...prefix, key],
    ...pathsOf((value as Record<string | number, unknown>)[key], [...prefix, key], depth + 1),
  ]);
}

function withValueAt(base: unknown, path: Path, value: unknown, remove: boolean): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else {
    node[last] = value;
  }
  return copy;
}

function mutations(base: object): fc.Arbitrary<WireBody> {
  const paths = pathsOf(base);
  return fc
    .oneof(
      {
        weight: 5,
        arbitrary: fc.tuple(fc.constantFrom(...paths), badValue).map(([p, v]) => withValueAt(base, p, v, false)),
      },
      { weight: 1, arbitrary: fc.constantFrom(...paths).map((p) => withValueAt(base, p, undefined, true)) },
      { weight: 2, arbitrary: fc.tuple(fieldName, badValue).map(([k, v]) => ({ ...base, [k]: v })) },
      { weight: 1, arbitrary: fc.constant([base]) },
    )
    .map(json);
}

/** Any body: a broken version of `base`, objects of wrong values, non-JSON, heavy, wrong types. */
export function bodyArbitrary(base: object | undefined): fc.Arbitrary<WireBody> {
  const arbitraries: { weight: number; arbitrary: fc.Arbitrary<WireBody> }[] = [
    { weight: 3, arbitrary: fc.dictionary(fieldName, badValue, { maxKeys: 5 }).map(json) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...RAW_TEXTS).map((body) => ({
        contentType: 'application/json',
        body,
        label: `text ${excerpt(body)}`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...INVALID_UTF8).map((body) => ({
        contentType: 'application/json',
        body,
        label: `bytes ${body.toString('hex').slice(0, 40)}`,
      })),
    },
    { weight: 1, arbitrary: fc.constantFrom(...HEAVY) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...MULTIPART).map((part) => ({ ...part, label: `multipart ${excerpt(part.body)}` })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...OTHER_TYPES), fc.constantFrom('{"name":"x"}', ...FORM_BODIES))
        .map(([contentType, body]) => ({ contentType, body, label: `${contentType}: ${excerpt(body)}` })),
    },
    { weight: 1, arbitrary: fc.constant({ body: '{"name":"x"}', label: 'no content type' }) },
  ];
  if (base) arbitraries.push({ weight: 6, arbitrary: mutations(base) });
  return fc.oneof(...arbitraries);
}

// ---- path parameters and query strings, already percent-encoded for the wire ----

/** Percent-encodes a string's UTF-8 bytes (a lone surrogate becomes U+FFFD, as any client sends). */
export function wireEncode(text: string): string {
  return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '\ufffd'));
}

const BAD_PARAMS = [
  'x',
  '0',
  '-1',
  '1e20',
  '99999999999999999999999999',
  'null',
  'undefined',
  '%00',
  'a%00b',
  '%FF',
  '%ED%A0%80',
  '%C0%80',
  '%25',
  '%2e%2e',
  '%20',
  '00000000-0000-0000-0000-000000000000',
  '00000000-0000-4000-8000-00000000000G',
  '00000000-0000-4000-8000-000000000000%00',
  '00000000-0000-4000-8000-0000000000000',
  'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
  '%7B%7D',
  wireEncode(long('a', 5_000)),
  wireEncode(long('9', 400)),
];

export function paramArbitrary(realIds: string[]): fc.Arbitrary<string> {
  const arbitraries: { weight: number; arbitrary: fc.Arbitrary<string> }[] = [
    { weight: 5, arbitrary: fc.constantFrom(...BAD_PARAMS) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: anyCodeUnits.filter((s) => s.length > 0).map(wireEncode) },
  ];
  if (realIds.length) arbitraries.push({ weight: 3, arbitrary: fc.constantFrom(...realIds) });
  return fc.oneof(...arbitraries);
}

const BAD_QUERY_VALUES = [
  '1e20',
  '-1',
  '0',
  'NaN',
  'Infinity',
  '99999999999999999999',
  '1.5',
  '',
  '%00',
  'a%00',
  '%FF',
  '%ED%A0%80',
  'abc',
  'true',
  'null',
  '2024-02-30',
  '2024-13-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '%2B275760-09-13T00:00:00.000Z',
  '1970-01-01T00:00:00Z',
  '2030-01-01T00:00:00Z',
  'hour',
  'day',
  'model',
  'error',
  '00000000-0000-4000-8000-000000000000',
  '%',
  wireEncode(long('a', 10_000)),
  wireEncode(long('\u0000', 300)),
];

export const queryArbitrary: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...QUERY_KEYS) },
        { weight: 1, arbitrary: anyCodeUnits.map(wireEncode) },
      ),
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...BAD_QUERY_VALUES) },
        { weight: 1, arbitrary: anyCodeUnits.map(wireEncode) },
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${wireEncode(k)}=${v}`).join('&')}` : ''));

/** An unsigned JWT whose claims are whatever the generator chose. */
export function jwt(claims: unknown): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/** auth.json bodies whose id token carries hostile claims. */
export const authJsonArbitrary: fc.Arbitrary<WireBody> = fc
  .record({
    email: badValue,
    exp: badValue,
    sub: badValue,
    chatgpt_account_id: fc.oneof(badValue, fc.uuid()),
    chatgpt_user_id: badValue,
    chatgpt_plan_type: badValue,
  })
  .map((claims) => ({
    OPENAI_API_KEY: null,
    tokens: {
      id_token: jwt({
        email: claims.email,
        exp: claims.exp,
        sub: claims.sub,
        'https://api.openai.com/auth': {
          chatgpt_account_id: claims.chatgpt_account_id,
          chatgpt_user_id: claims.chatgpt_user_id,
          chatgpt_plan_type: claims.chatgpt_plan_type,
        },
      }),
      access_token: jwt({ exp: claims.exp }),
      refresh_token: 'rt-fuzz',
      account_id: claims.chatgpt_account_id,
    },
    last_refresh: claims.exp,
  }))
  .map(json);
