// One validation vocabulary: strings with NUL, control characters or unpaired surrogates, nulls
// for non-null columns, numbers and dates out of range, and hostile auth.json claims are all a
// 400 that names the field, never a database error.
import request from 'supertest';
import { fetch } from 'undici';
import { addAccount, createKey, startWorld, type World } from './support/proxy-world';

const NUL = 'a\u0000b';
const LONE = 'a\ud800b';

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function jwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.sig`;
}

function idToken(auth: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return jwt({
    sub: 'user-sub',
    email: 'seat@example.com',
    'https://api.openai.com/auth': { chatgpt_account_id: 'acct-1', chatgpt_user_id: 'user-1', ...auth },
    ...extra,
  });
}

function authJson(tokens: Record<string, unknown>) {
  return {
    tokens: {
      id_token: idToken({}),
      access_token: jwt({ exp: Math.floor(Date.now() / 1000) + 3600 }),
      refresh_token: 'refresh-token-1',
      ...tokens,
    },
  };
}

describe('one validation vocabulary for strings, numbers, dates and nulls', () => {
  let w: World;
  let keyId: string;
  let accountId: string;

  beforeAll(async () => {
    w = await startWorld();
    accountId = (await addAccount(w, w.alice.cookie, 'alice@example.com')).id;
    keyId = (await createKey(w, w.alice.cookie)).id;
  });
  afterAll(() => w.close());

  const as = (cookie: string) => ({
    post: (path: string, body: object) => request(w.app.url).post(path).set('cookie', cookie).send(body),
    patch: (path: string, body: object) => request(w.app.url).patch(path).set('cookie', cookie).send(body),
    get: (path: string) => request(w.app.url).get(path).set('cookie', cookie),
  });

  const refused = (response: request.Response, field: RegExp, code = 'validation_failed') => {
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message).toMatch(field);
  };

  it('refuses NUL and unpaired surrogates in the login username with a 400, not a 500', async () => {
    for (const username of [NUL, LONE, '\u0000', 'admin\u0000']) {
      const response = await request(w.app.url)
        .post('/api/dashboard-auth/password/login')
        .send({ username, password: 'whatever-password' });
      refused(response, /^username /);
    }
    // A password is compared with a hash only: odd characters are just a wrong password.
    const odd = await request(w.app.url)
      .post('/api/dashboard-auth/password/login')
      .send({ username: 'admin', password: 'x\u0001y' });
    expect(odd.status).toBe(401);
  });

  it('refuses NUL, control characters and unpaired surrogates in key names and models', async () => {
    const alice = as(w.alice.cookie);
    for (const name of [NUL, LONE, 'line\nbreak', '\udc00']) {
      refused(await alice.post('/api/api-keys', { name }), /^name must/);
      refused(await alice.patch(`/api/api-keys/${keyId}`, { name }), /^name must/);
    }
    refused(
      await alice.post('/api/api-keys', { name: 'k', allowedModels: [`gpt${NUL}`] }),
      /^allowedModels\.0 must not contain NUL/,
    );
    refused(
      await alice.post('/api/api-keys', {
        name: 'k',
        limits: [{ kind: 'requests', window: 'daily', max: 1, model: LONE }],
      }),
      /^limits\.0\.model must/,
    );
    refused(await alice.post('/api/api-keys', { name: 'x'.repeat(101) }), /^name must be at most 100 characters/);
    // Names are trimmed before they are checked and stored.
    const created = await alice.post('/api/api-keys', { name: '  spaced  ' }).expect(201);
    expect(created.body.apiKey.name).toBe('spaced');
  });

  it('refuses NUL and unpaired surrogates in account aliases; null still clears one', async () => {
    const alice = as(w.alice.cookie);
    for (const alias of [NUL, LONE, 'x'.repeat(101)]) {
      refused(await alice.patch(`/api/accounts/${accountId}`, { alias }), /^alias must/);
    }
    await alice.patch(`/api/accounts/${accountId}`, { alias: 'work' }).expect(200);
    const cleared = await alice.patch(`/api/accounts/${accountId}`, { alias: null }).expect(200);
    expect(cleared.body.alias).toBeNull();
  });

  it('refuses NUL and bad encodings in request-log filters', async () => {
    const alice = as(w.alice.cookie);
    for (const field of ['model', 'route', 'q']) {
      refused(await alice.get(`/api/request-logs?${field}=a%00b`), new RegExp(`^${field} must not contain NUL`));
      refused(await alice.get(`/api/request-logs/export?${field}=a%00b`), new RegExp(`^${field} must not contain NUL`));
      // %ED%A0%80 is an unpaired surrogate in (invalid) UTF-8: refused or decoded, never a 500.
      const surrogate = await alice.get(`/api/request-logs?${field}=a%ED%A0%80b`);
      expect([200, 400]).toContain(surrogate.status);
    }
    refused(await alice.get(`/api/request-logs?model=${'m'.repeat(129)}`), /^model must be at most 128/);
    refused(await alice.get('/api/request-logs?from=1900-01-01T00:00:00Z'), /^from must be a date between 1970/);
    refused(await alice.get('/api/usage/summary?to=1969-12-31T23:59:59Z'), /^to must be a date between 1970/);
  });

  it('refuses null for every field whose column is not nullable', async () => {
    const admin = as(w.admin);
    const alice = as(w.alice.cookie);
    refused(await admin.patch(`/api/users/${w.bob.id}`, { role: null }), /^role must not be null/);
    refused(await admin.patch(`/api/users/${w.bob.id}`, { isActive: null }), /^isActive must not be null/);
    refused(await admin.patch(`/api/users/${w.bob.id}`, { password: null }), /^password must not be null/);
    refused(await admin.post('/api/users', { username: null, password: 'password-123', role: 'user' }), /^username/);
    refused(await admin.post('/api/users', { username: 'nul', password: `pass${NUL}word`, role: 'user' }), /^password/);
    refused(await alice.post('/api/api-keys', { name: null }), /^name must not be null/);
    refused(await alice.patch(`/api/api-keys/${keyId}`, { name: null }), /^name must not be null/);
    refused(await alice.patch(`/api/api-keys/${keyId}`, { isActive: null }), /^isActive must not be null/);
    refused(await alice.patch(`/api/api-keys/${keyId}`, { accountIds: null }), /^accountIds must not be null/);
    refused(await alice.patch(`/api/api-keys/${keyId}`, { allowedModels: null }), /^allowedModels must not be null/);
    refused(await alice.patch(`/api/api-keys/${keyId}`, { limits: null }), /^limits must not be null/);
    refused(await alice.patch(`/api/api-keys/${keyId}`, { accountIds: [null] }), /^accountIds\.0 must not be null/);
    refused(await alice.post('/api/oauth/start', { flow: null }), /^flow must not be null/);
    // null where it means "none" is still accepted.
    await alice.patch(`/api/api-keys/${keyId}`, { expiresAt: null }).expect(200);
  });

  it('range-checks numbers and dates', async () => {
    const admin = as(w.admin);
    for (const query of [
      'offset=1e20',
      'offset=99999999999999999999',
      'offset=-1',
      'offset=1.5',
      'offset=0x10',
      'limit=1e2',
    ]) {
      refused(await admin.get(`/api/users?${query}`), /^(offset|limit) must be an integer between/);
    }
    await admin.get('/api/users?offset=5&limit=10').expect(200);
    const alice = as(w.alice.cookie);
    refused(await alice.post('/api/api-keys', { name: 'k', expiresAt: '+275760-09-13T00:00:00Z' }), /^expiresAt/);
    refused(await alice.post('/api/api-keys', { name: 'k', expiresAt: '9999-12-31T23:59:60Z' }), /^expiresAt/);
    refused(
      await alice.post('/api/api-keys', { name: 'k', limits: [{ kind: 'requests', window: 'daily', max: 1e300 }] }),
      /^limits\.0\.max must be at most/,
    );
    refused(await request(w.app.url).get('/api/users/not-a-uuid').set('cookie', w.admin), /^id must be an id/);
  });

  it('refuses hostile auth.json claims with 400 invalid_auth_json, not varchar or timestamp errors', async () => {
    const alice = as(w.alice.cookie);
    const importing = (body: object) => alice.post('/api/accounts/import', body);
    const cases: Array<[object, RegExp]> = [
      [
        authJson({ id_token: idToken({ chatgpt_account_id: 'a'.repeat(129) }) }),
        /chatgpt_account_id claim must be at most 128/,
      ],
      [authJson({ id_token: idToken({ chatgpt_account_id: NUL }) }), /chatgpt_account_id claim must not contain NUL/],
      [authJson({ id_token: idToken({ chatgpt_user_id: LONE }) }), /chatgpt_user_id claim must be valid Unicode/],
      [
        authJson({ id_token: idToken({}, { email: `${'e'.repeat(400)}@example.com` }) }),
        /email claim must be at most 320/,
      ],
      [authJson({ id_token: idToken({}, { email: `a${NUL}@example.com` }) }), /email claim must not contain NUL/],
      [
        authJson({ id_token: idToken({ chatgpt_plan_type: 'p'.repeat(33) }) }),
        /chatgpt_plan_type claim must be at most 32/,
      ],
      [authJson({ access_token: jwt({ exp: 1e20 }) }), /exp claim is not a date/],
      [authJson({ access_token: jwt({ exp: -1e15 }) }), /exp claim is not a date/],
      [authJson({ access_token: jwt({ exp: 'soon' }) }), /exp claim is not a date/],
      [
        authJson({ account_id: NUL, id_token: idToken({ chatgpt_account_id: undefined }) }),
        /account_id must not contain NUL/,
      ],
      [authJson({ refresh_token: `r${NUL}` }), /refresh_token must not contain NUL/],
      [authJson({ access_token: 'has space' }), /access_token must be printable ASCII/],
    ];
    for (const [body, message] of cases) refused(await importing(body), message, 'invalid_auth_json');

    // The same file as a multipart upload.
    const upload = await request(w.app.url)
      .post('/api/accounts/import')
      .set('cookie', w.alice.cookie)
      .attach('auth_json', Buffer.from(JSON.stringify(cases[1][0])), 'auth.json');
    refused(upload, /chatgpt_account_id claim must not contain NUL/, 'invalid_auth_json');
    const deep = await request(w.app.url)
      .post('/api/accounts/import')
      .set('cookie', w.alice.cookie)
      .attach('auth_json', Buffer.from('['.repeat(50_000)), 'auth.json');
    refused(deep, /deeper than 32/, 'invalid_auth_json');
  });

  it('answers malformed multipart on the import route with a 400', async () => {
    const post = (contentType: string, body: string) =>
      fetch(`${w.app.url}/api/accounts/import`, {
        method: 'POST',
        headers: { cookie: w.alice.cookie, 'content-type': contentType },
        body,
      });
    const bodies: Array<[string, string]> = [
      ['multipart/form-data; boundary=XYZ', 'garbage without any boundary'],
      ['multipart/form-data; boundary=XYZ', '--XYZ\r\nContent-Disposition: form-data; name="auth_json"\r\n\r\n{"tok'],
      [
        'multipart/form-data; boundary=XYZ',
        '--XYZ\r\nContent-Disposition: form-data; name="auth_json"; filename="a"\r\n\r\n{"tokens"',
      ],
      ['multipart/form-data', '--XYZ\r\n\r\n'],
      ['multipart/form-data; boundary=', ''],
    ];
    for (const [contentType, body] of bodies) {
      const response = await post(contentType, body);
      expect(response.status).toBe(400);
      const error = ((await response.json()) as { error: { code: string } }).error;
      expect(['invalid_auth_json', 'bad_request', 'validation_failed']).toContain(error.code);
    }
    // Nothing was half-imported, and the route still works.
    const accounts = await as(w.alice.cookie).get('/api/accounts').expect(200);
    expect(accounts.body).toHaveLength(1);
  });
});
