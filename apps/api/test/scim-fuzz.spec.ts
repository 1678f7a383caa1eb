// Fuzzes every /scim/v2 route with a live SCIM token (the route-table fuzz reaches them only
// without one, where they answer 401): generated filters, pagination values, path ids and hostile
// bodies (SCIM resources and PATCH messages with bad values, random JSON, broken encodings, deep
// and huge documents). Fails on any 5xx, any error not in SCIM's shape, and any error body over
// 8 KB. FUZZ_RUNS and FUZZ_SEED as in fuzz.spec.ts.
import fc from 'fast-check';
import request from 'supertest';
import { badValue, bodyArbitrary, fieldName, HEAVY, paramArbitrary, type WireBody } from './support/fuzz-inputs';
import { startWorld, type World } from './support/proxy-world';
import { collectRoutes } from './support/routes';

const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 6)) * 4;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

const FILTER_PARTS = [
  'userName eq "a"',
  'userName',
  'eq',
  'and',
  'or',
  'not',
  '(',
  ')',
  '[',
  ']',
  '"',
  '\\"',
  'emails[value eq "x"]',
  'emails[type eq "work"]',
  'active eq true',
  'active eq "yes"',
  'externalId sw "%_\\\\"',
  'members.value eq "x"',
  'meta.created gt "2020-01-01"',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName pr',
  'displayName co "\u0000"',
  '12',
  'null',
  '\ud800',
];

const filterArbitrary = fc.oneof(
  fc.array(fc.constantFrom(...FILTER_PARTS), { maxLength: 8 }).map((parts) => parts.join(' ')),
  fc.string({ maxLength: 60 }),
  fc.constant('a'.repeat(1_001)),
  fc.constant(Array.from({ length: 30 }, (_, i) => `userName eq "${i}"`).join(' or ')),
  fc.constant(`${'('.repeat(200)}userName pr${')'.repeat(200)}`),
);

const numberText = fc.constantFrom('', '0', '-1', '1', '200', '201', '1e3', 'abc', '99999999999999999999', '1.5');

const queryArbitrary = fc
  .record({
    filter: fc.option(filterArbitrary, { freq: 2 }),
    startIndex: fc.option(numberText, { freq: 2 }),
    count: fc.option(numberText, { freq: 2 }),
    excludedAttributes: fc.option(fc.constantFrom('members', 'x,members', 'a'.repeat(2_000)), { freq: 4 }),
  })
  .map((q) => {
    const pairs = Object.entries(q).filter(([, value]) => value !== null) as [string, string][];
    return pairs.length
      ? `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'))}`).join('&')}`
      : '';
  });

const USER = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'fuzz-user', active: true };
const GROUP = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Fuzz group', members: [] };

function json(value: unknown): WireBody {
  return { contentType: 'application/scim+json', body: JSON.stringify(value) ?? 'null', label: 'scim' };
}

/** SCIM-shaped bodies with one attribute or operation replaced by something hostile. */
function scimBodies(base: object): fc.Arbitrary<WireBody> {
  const operation = fc.record({
    op: fc.oneof(fc.constantFrom('add', 'replace', 'remove', 'Replace', 'jump'), badValue),
    path: fc.option(
      fc.oneof(
        fc.constantFrom('active', 'userName', 'emails', 'members', 'name.givenName', 'emails[type eq "work"].value'),
        fc.constantFrom('members[value eq "x"]', 'members[', 'x.y.z.w', '"', 'urn:x:y'),
        fc.string({ maxLength: 40 }),
      ),
      { freq: 3 },
    ),
    value: fc.oneof(
      badValue,
      fc.array(fc.record({ value: fc.oneof(fc.uuid(), badValue) }), { maxLength: 5 }),
      fc.dictionary(fieldName, badValue, { maxKeys: 4 }),
    ),
  });
  return fc.oneof(
    fc.tuple(fieldName, badValue).map(([name, value]) => json({ ...base, [name]: value })),
    fc
      .array(operation, { maxLength: 4 })
      .map((Operations) => json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations })),
    fc.constant(
      json({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: Array.from({ length: 101 }, () => ({ op: 'add', path: 'displayName', value: 'x' })),
      }),
    ),
    fc.constant(json({ ...base, members: Array.from({ length: 1_001 }, (_, i) => ({ value: `${i}` })) })),
    fc.constant(json({ ...base, emails: Array.from({ length: 11 }, (_, i) => ({ value: `${i}@x.y` })) })),
    bodyArbitrary(base),
  );
}

describe('SCIM fuzz', () => {
  let w: World;
  let token: string;
  const realIds: Record<string, string[]> = {};

  beforeAll(async () => {
    w = await startWorld();
    token = (
      await request(w.app.url).post('/api/scim-tokens').set('cookie', w.admin).send({ name: 'fuzz' }).expect(201)
    ).body.token;
    const auth = (r: request.Test) =>
      r.set('authorization', `Bearer ${token}`).set('content-type', 'application/scim+json');
    const user = JSON.parse(
      (await auth(request(w.app.url).post('/scim/v2/Users')).send(JSON.stringify(USER)).expect(201)).text,
    );
    const group = JSON.parse(
      (await auth(request(w.app.url).post('/scim/v2/Groups')).send(JSON.stringify(GROUP)).expect(201)).text,
    );
    realIds.Users = [user.id];
    realIds.Groups = [group.id];
  });
  afterAll(() => w.close());

  it(`answers ${RUNS} generated cases per SCIM route without a 5xx, always in SCIM's error shape`, async () => {
    const routes = collectRoutes(w.app.instance.app).filter((route) => route.scimToken);
    expect(routes.length).toBeGreaterThanOrEqual(14);
    const findings: string[] = [];
    for (const route of routes) {
      const resource = route.path.includes('/Groups') ? 'Groups' : 'Users';
      // Never hand the real id to a DELETE: the other cases use it.
      const ids = route.method === 'DELETE' ? [] : realIds[resource];
      const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
      const cases = fc.sample(
        fc.record({
          id: paramArbitrary(ids),
          query: route.method === 'GET' ? queryArbitrary : fc.constant(''),
          body: hasBody ? scimBodies(resource === 'Users' ? USER : GROUP) : fc.constant(null),
        }),
        { numRuns: RUNS, seed: SEED ^ route.key.length },
      );
      if (hasBody) for (const body of HEAVY) cases.push({ id: ids[0] ?? 'x', query: '', body });
      for (const input of cases) {
        const path = route.path.replace(':id', input.id) + input.query;
        const method = route.method.toLowerCase() as 'get';
        const call = request(w.app.url)[method](path).set('authorization', `Bearer ${token}`);
        if (input.body?.contentType) call.set('content-type', input.body.contentType);
        const response = await (input.body ? call.send(input.body.body) : call);
        const where = `${route.method} ${path.slice(0, 120)} ${input.body?.label ?? ''} (seed ${SEED})`;
        if (response.status >= 500) findings.push(`${response.status} ${where}`);
        if (response.status >= 400) {
          if (response.text.length > 8_192) findings.push(`oversized error ${where}`);
          let parsed: { schemas?: unknown; status?: unknown } = {};
          try {
            parsed = JSON.parse(response.text);
          } catch {
            findings.push(`non-JSON error ${where}`);
          }
          if (JSON.stringify(parsed.schemas) !== JSON.stringify([ERROR]) || parsed.status !== String(response.status)) {
            findings.push(`not a SCIM error (${response.status} ${response.text.slice(0, 120)}) ${where}`);
          }
        }
      }
    }
    expect(findings.slice(0, 20)).toEqual([]);
  }, 300_000);
});
