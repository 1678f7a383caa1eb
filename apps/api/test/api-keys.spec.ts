// API key management over HTTP: the secret is shown once, stored only as a digest, keys are
// owner-scoped (another user's key is 404 everywhere and absent from lists), admins see and
// filter everyone's, and input is validated with readable messages.
import { createHash } from 'node:crypto';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './support/app';
import { as, insertAccount } from './support/api-keys';

const KEY_FORMAT = /^sk-clb-[A-Za-z0-9_-]{43}$/;

describe('API keys', () => {
  let app: TestApp;
  let adminCookie: string;
  let alice: { id: string; cookie: string };
  let bob: { id: string; cookie: string };

  beforeAll(async () => {
    app = await startTestApp({ env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
    adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
    alice = await createUserSession(app, adminCookie, 'alice');
    bob = await createUserSession(app, adminCookie, 'bob');
  });
  afterAll(() => app.close());

  it('returns the secret once, on create, and stores only its digest', async () => {
    const created = await as(app, alice.cookie)
      .post('/api/api-keys', {
        name: '  laptop  ',
        allowedModels: ['GPT-5.1-Codex', 'gpt-5.1-codex'],
        limits: [{ kind: 'requests', window: 'minute', max: 60 }],
      })
      .expect(201);
    const { key, apiKey } = created.body;
    expect(key).toMatch(KEY_FORMAT);
    expect(apiKey).toMatchObject({
      name: 'laptop',
      ownerUserId: alice.id,
      ownerUsername: 'alice',
      prefix: key.slice(0, 12),
      isActive: true,
      revokedAt: null,
      expiresAt: null,
      allowedModels: ['gpt-5.1-codex'],
      accountIds: [],
      accountsRestricted: false,
    });
    expect(apiKey.limits).toEqual([
      {
        kind: 'requests',
        window: 'minute',
        max: 60,
        model: null,
        used: 0,
        remaining: 60,
        resetsAt: expect.any(String),
      },
    ]);
    expect(JSON.stringify(apiKey)).not.toContain(key);

    const fetched = await as(app, alice.cookie).get(`/api/api-keys/${apiKey.id}`).expect(200);
    const listed = await as(app, alice.cookie).get('/api/api-keys').expect(200);
    for (const body of [fetched.body, listed.body]) {
      expect(JSON.stringify(body)).not.toContain(key.slice(12));
      expect(JSON.stringify(body)).not.toMatch(/digest/i);
    }
    expect(listed.body.map((k: { id: string }) => k.id)).toContain(apiKey.id);

    const rows = await app.instance.dataSource.query(`SELECT * FROM api_keys WHERE id = $1`, [apiKey.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].key_digest).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(rows[0])).not.toContain(key.slice(12));
  });

  it('regenerates a new secret and revokes while keeping the row', async () => {
    const { body } = await as(app, alice.cookie).post('/api/api-keys', { name: 'ci' }).expect(201);
    const again = await as(app, alice.cookie).post(`/api/api-keys/${body.apiKey.id}/regenerate`).expect(200);
    expect(again.body.key).toMatch(KEY_FORMAT);
    expect(again.body.key).not.toBe(body.key);
    expect(again.body.apiKey.prefix).toBe(again.body.key.slice(0, 12));

    await as(app, alice.cookie).delete(`/api/api-keys/${body.apiKey.id}`).expect(204);
    const revoked = await as(app, alice.cookie).get(`/api/api-keys/${body.apiKey.id}`).expect(200);
    expect(revoked.body).toMatchObject({ isActive: false, revokedAt: expect.any(String) });
    await as(app, alice.cookie).delete(`/api/api-keys/${body.apiKey.id}`).expect(204);
    const refused = await as(app, alice.cookie).post(`/api/api-keys/${body.apiKey.id}/regenerate`).expect(409);
    expect(refused.body.error.code).toBe('api_key_revoked');
    await as(app, alice.cookie).patch(`/api/api-keys/${body.apiKey.id}`, { name: 'x' }).expect(409);
  });

  it('updates name, expiry, models, limits and the active flag', async () => {
    const { body } = await as(app, alice.cookie).post('/api/api-keys', { name: 'editable' }).expect(201);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const updated = await as(app, alice.cookie)
      .patch(`/api/api-keys/${body.apiKey.id}`, {
        name: 'renamed',
        expiresAt,
        isActive: false,
        allowedModels: ['gpt-5.1-*'],
        limits: [
          { kind: 'cost_usd', window: 'monthly', max: 12.5 },
          { kind: 'total_tokens', window: 'daily', max: 100000, model: 'gpt-5.1-codex' },
        ],
      })
      .expect(200);
    expect(updated.body).toMatchObject({ name: 'renamed', expiresAt, isActive: false, allowedModels: ['gpt-5.1-*'] });
    expect(
      updated.body.limits.map((l: { kind: string; max: number; model: string | null }) => [l.kind, l.max, l.model]),
    ).toEqual([
      ['cost_usd', 12.5, null],
      ['total_tokens', 100000, 'gpt-5.1-codex'],
    ]);
    const cleared = await as(app, alice.cookie)
      .patch(`/api/api-keys/${body.apiKey.id}`, { expiresAt: null, isActive: true, limits: [] })
      .expect(200);
    expect(cleared.body).toMatchObject({ expiresAt: null, isActive: true, limits: [] });
  });

  it("treats another user's key as missing on every route and leaves it out of lists", async () => {
    const { body } = await as(app, bob.cookie).post('/api/api-keys', { name: 'bob-key' }).expect(201);
    const id = body.apiKey.id;
    const a = as(app, alice.cookie);
    for (const response of [
      await a.get(`/api/api-keys/${id}`),
      await a.patch(`/api/api-keys/${id}`, { name: 'stolen' }),
      await a.post(`/api/api-keys/${id}/regenerate`),
      await a.delete(`/api/api-keys/${id}`),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
    const list = await a.get('/api/api-keys').expect(200);
    expect(list.body.map((k: { id: string }) => k.id)).not.toContain(id);
    expect(list.body.every((k: { ownerUserId: string }) => k.ownerUserId === alice.id)).toBe(true);
    // A non-admin's ownerId filter does not widen the scope.
    const filtered = await a.get(`/api/api-keys?ownerId=${bob.id}`).expect(200);
    expect(filtered.body.map((k: { id: string }) => k.id)).not.toContain(id);
    const untouched = await as(app, bob.cookie).get(`/api/api-keys/${id}`).expect(200);
    expect(untouched.body).toMatchObject({ name: 'bob-key', isActive: true, prefix: body.apiKey.prefix });
  });

  it('lets an admin list everyone, filter by owner, manage and create keys for others', async () => {
    const all = await as(app, adminCookie).get('/api/api-keys').expect(200);
    const owners = new Set(all.body.map((k: { ownerUserId: string }) => k.ownerUserId));
    expect(owners).toEqual(new Set([alice.id, bob.id]));
    const onlyBob = await as(app, adminCookie).get(`/api/api-keys?ownerId=${bob.id}`).expect(200);
    expect(onlyBob.body.length).toBeGreaterThan(0);
    expect(onlyBob.body.every((k: { ownerUsername: string }) => k.ownerUsername === 'bob')).toBe(true);

    const forBob = await as(app, adminCookie).post('/api/api-keys', { name: 'issued', ownerId: bob.id }).expect(201);
    expect(forBob.body.apiKey.ownerUserId).toBe(bob.id);
    await as(app, bob.cookie).get(`/api/api-keys/${forBob.body.apiKey.id}`).expect(200);
    await as(app, adminCookie).patch(`/api/api-keys/${forBob.body.apiKey.id}`, { name: 'issued-2' }).expect(200);

    const denied = await as(app, alice.cookie).post('/api/api-keys', { name: 'sneaky', ownerId: bob.id }).expect(403);
    expect(denied.body.error.code).toBe('forbidden');
    const nobody = await as(app, adminCookie)
      .post('/api/api-keys', { name: 'x', ownerId: '00000000-0000-4000-8000-000000000000' })
      .expect(400);
    expect(nobody.body.error.code).toBe('invalid_owner');
  });

  it('accepts only accounts the owner owns, refusing foreign and missing ids alike', async () => {
    const aliceAccount = await insertAccount(app, alice.id);
    const bobAccount = await insertAccount(app, bob.id);
    const missing = '00000000-0000-4000-8000-00000000abcd';
    const foreign = await as(app, alice.cookie)
      .post('/api/api-keys', { name: 'x', accountIds: [bobAccount] })
      .expect(400);
    const absent = await as(app, alice.cookie)
      .post('/api/api-keys', { name: 'x', accountIds: [missing] })
      .expect(400);
    expect(foreign.body.error.code).toBe('invalid_account_ids');
    expect(absent.body.error.code).toBe('invalid_account_ids');
    expect(foreign.body.error.message.replace(bobAccount, 'ID')).toBe(absent.body.error.message.replace(missing, 'ID'));

    const ok = await as(app, alice.cookie)
      .post('/api/api-keys', { name: 'pinned', accountIds: [aliceAccount] })
      .expect(201);
    expect(ok.body.apiKey).toMatchObject({ accountIds: [aliceAccount], accountsRestricted: true });
    await as(app, alice.cookie)
      .patch(`/api/api-keys/${ok.body.apiKey.id}`, { accountIds: [aliceAccount, bobAccount] })
      .expect(400);
    // An admin editing Alice's key is held to Alice's accounts, not the admin's.
    await as(app, adminCookie)
      .patch(`/api/api-keys/${ok.body.apiKey.id}`, { accountIds: [bobAccount] })
      .expect(400);
    const lifted = await as(app, alice.cookie).patch(`/api/api-keys/${ok.body.apiKey.id}`, { accountIds: [] });
    expect(lifted.body).toMatchObject({ accountIds: [], accountsRestricted: false });

    // Deleting an account drops it from allowlists without lifting the restriction.
    const again = await as(app, alice.cookie)
      .patch(`/api/api-keys/${ok.body.apiKey.id}`, { accountIds: [aliceAccount] })
      .expect(200);
    expect(again.body.accountIds).toEqual([aliceAccount]);
    await app.instance.dataSource.query(`DELETE FROM accounts WHERE id = $1`, [aliceAccount]);
    const after = await as(app, alice.cookie).get(`/api/api-keys/${ok.body.apiKey.id}`).expect(200);
    expect(after.body).toMatchObject({ accountIds: [], accountsRestricted: true });
  });

  it('validates input with clear messages and rejects unknown fields', async () => {
    const post = (body: object) => as(app, alice.cookie).post('/api/api-keys', body).expect(400);
    expect((await post({ name: 'x', secret: 'mine' })).body.error).toMatchObject({
      code: 'validation_failed',
      message: expect.stringMatching(/secret/),
    });
    expect((await post({ name: '   ' })).body.error.message).toMatch(/name must not be empty/);
    expect(
      (await post({ name: 'x', limits: [{ kind: 'bananas', window: 'daily', max: 1 }] })).body.error.message,
    ).toMatch(/kind must be one of requests/);
    expect(
      (await post({ name: 'x', limits: [{ kind: 'requests', window: 'hourly', max: 1 }] })).body.error.message,
    ).toMatch(/window must be one of/);
    expect(
      (await post({ name: 'x', limits: [{ kind: 'requests', window: 'minute', max: 0 }] })).body.error.message,
    ).toMatch(/max must be greater than 0/);
    expect(
      (await post({ name: 'x', limits: [{ kind: 'requests', window: 'minute', max: 1.5 }] })).body.error.message,
    ).toMatch(/whole number/);
    expect(
      (
        await post({
          name: 'x',
          limits: [
            { kind: 'requests', window: 'minute', max: 1 },
            { kind: 'requests', window: 'minute', max: 2 },
          ],
        })
      ).body.error.message,
    ).toMatch(/repeats/);
    expect(
      (await post({ name: 'x', limits: [{ kind: 'requests', window: 'minute', max: 1, extra: 1 }] })).body.error
        .message,
    ).toMatch(/extra/);
    expect((await post({ name: 'x', expiresAt: '2001-01-01T00:00:00Z' })).body.error.message).toMatch(/future/);
    expect((await post({ name: 'x', expiresAt: 'tomorrow' })).body.error.message).toMatch(/ISO 8601/);
    expect((await post({ name: 'x', accountIds: ['nope'] })).body.error.message).toMatch(/UUID/);
    expect((await post({ name: 'x', allowedModels: ['bad model'] })).body.error.message).toMatch(/model names/);
    await as(app, alice.cookie).get('/api/api-keys/not-a-uuid').expect(400);
    await as(app, alice.cookie).get('/api/api-keys?ownerId=nope').expect(400);
  });
});
