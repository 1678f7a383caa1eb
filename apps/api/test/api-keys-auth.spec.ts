// Authenticating keys the way the proxy will: through ApiKeyAuthService on the real app and
// database. Every change (regenerate, revoke, disable, expiry, owner deactivation, account
// deletion) must refuse or reshape the very next request even when the key is cached, and the
// refusals render in OpenAI's error envelope on proxy paths.
import type { ArgumentsHost } from '@nestjs/common';
import { DomainEvents } from '../src/common/events';
import { HttpExceptionFilter } from '../src/common/http-exception.filter';
import { ApiKeyAuthService } from '../src/modules/api-keys/api-key-auth.service';
import { ApiKeysRepository } from '../src/modules/api-keys/api-keys.repository';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './support/app';
import { as, insertAccount } from './support/api-keys';

/** Renders an error the way the global filter does for a request to `url`. */
function render(error: unknown, url: string) {
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const reply = {
    sent: false,
    raw: { headersSent: false, writableEnded: false },
    headers(h: Record<string, string>) {
      Object.assign(sent.headers, h);
      return reply;
    },
    status(code: number) {
      sent.status = code;
      return reply;
    },
    send(body: unknown) {
      sent.body = body;
    },
  };
  const host = {
    switchToHttp: () => ({ getRequest: () => ({ url, method: 'POST', id: 'req-1' }), getResponse: () => reply }),
  } as unknown as ArgumentsHost;
  new HttpExceptionFilter().catch(error, host);
  return sent;
}

describe('API key authentication', () => {
  let app: TestApp;
  let adminCookie: string;
  let owner: { id: string; cookie: string };
  let auth: ApiKeyAuthService;
  let lookups: number;

  const create = async (body: object = {}) =>
    (
      await as(app, owner.cookie)
        .post('/api/api-keys', { name: 'k', ...body })
        .expect(201)
    ).body as {
      key: string;
      apiKey: { id: string };
    };
  const refusal = (raw: string | null) =>
    auth.authenticate(raw).then(
      () => null,
      (error) => error as { code: string; getStatus(): number },
    );

  beforeAll(async () => {
    app = await startTestApp({ env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
    adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
    owner = await createUserSession(app, adminCookie, 'owner');
    auth = app.instance.app.get(ApiKeyAuthService);
    // Count database lookups without replacing them: the real query still runs.
    const repo = app.instance.app.get(ApiKeysRepository);
    const find = repo.findByDigest.bind(repo);
    lookups = 0;
    repo.findByDigest = (digest: string) => {
      lookups++;
      return find(digest);
    };
  });
  afterAll(() => app.close());

  it('resolves a key to its owner and serves repeats from memory', async () => {
    const { key, apiKey } = await create({ allowedModels: ['gpt-5.1-codex'] });
    const before = lookups;
    const first = await auth.authenticate(key);
    expect(first).toMatchObject({ id: apiKey.id, ownerUserId: owner.id, ownerRole: 'user', accountIds: null });
    expect(first.allowedModels).toEqual(['gpt-5.1-codex']);
    expect(first.principal).toMatchObject({ kind: 'api_key', userId: owner.id, apiKeyId: apiKey.id });
    // A default key's principal holds its scope (proxy) only, not its owner's other permissions.
    expect([...first.principal.permissions]).toEqual(['proxy:use']);
    for (let i = 0; i < 20; i++) await auth.authenticate(key);
    expect(lookups - before).toBe(1);

    // Both headers clients use are understood.
    const viaBearer = await auth.authenticateHeaders({ authorization: `Bearer ${key}` });
    const viaHeader = await auth.authenticateHeaders({ 'x-api-key': key });
    expect([viaBearer.id, viaHeader.id]).toEqual([apiKey.id, apiKey.id]);

    await auth.flushLastUsed();
    const fetched = await as(app, owner.cookie).get(`/api/api-keys/${apiKey.id}`).expect(200);
    expect(fetched.body.lastUsedAt).not.toBeNull();
  });

  it('refuses missing, malformed and unknown keys, looking an unknown key up only once', async () => {
    expect((await refusal(null))?.code).toBe('missing_api_key');
    expect((await refusal(''))?.code).toBe('missing_api_key');
    expect((await refusal('sk-something-else'))?.code).toBe('invalid_api_key');
    const unknown = 'sk-clb-' + 'A'.repeat(43);
    const before = lookups;
    for (let i = 0; i < 10; i++) expect((await refusal(unknown))?.code).toBe('invalid_api_key');
    expect(lookups - before).toBe(1);
  });

  it('remembers a connection digest per key sent on it, and still refuses a revoked key on it', async () => {
    const first = await create();
    const second = await create();
    const connection = {};
    const viaConnection = (raw: string) =>
      auth.authenticateHeaders({ authorization: `Bearer ${raw}` }, connection).then(
        (key) => key.id,
        (error) => (error as { code: string }).code,
      );
    // One connection, keys alternating: each request is its own key, never the previous one's.
    for (let i = 0; i < 3; i++) {
      expect(await viaConnection(first.key)).toBe(first.apiKey.id);
      expect(await viaConnection(first.key)).toBe(first.apiKey.id);
      expect(await viaConnection(second.key)).toBe(second.apiKey.id);
    }
    // A near miss (one character off) on a connection that just sent the real key is unknown.
    const nearMiss = second.key.slice(0, -1) + (second.key.endsWith('A') ? 'B' : 'A');
    expect(await viaConnection(nearMiss)).toBe('invalid_api_key');
    expect(await viaConnection(second.key)).toBe(second.apiKey.id);
    const at = 'sk-clb-'.length;
    const firstMiss = second.key.slice(0, at) + (second.key[at] === 'A' ? 'B' : 'A') + second.key.slice(at + 1);
    expect(await viaConnection(firstMiss)).toBe('invalid_api_key');
    // Only the digest is remembered: the entry is checked on every request.
    expect(await viaConnection(first.key)).toBe(first.apiKey.id);
    await as(app, owner.cookie).delete(`/api/api-keys/${first.apiKey.id}`).expect(204);
    expect(await viaConnection(first.key)).toBe('invalid_api_key');
    expect(await viaConnection(second.key)).toBe(second.apiKey.id);
  });

  it('kills the old secret on the very next request after a regenerate', async () => {
    const { key, apiKey } = await create();
    await auth.authenticate(key);
    const rotated = await as(app, owner.cookie).post(`/api/api-keys/${apiKey.id}/regenerate`).expect(200);
    expect((await refusal(key))?.code).toBe('invalid_api_key');
    expect((await auth.authenticate(rotated.body.key)).id).toBe(apiKey.id);
  });

  it('refuses the next request after revoke, disable, expiry or owner deactivation', async () => {
    const revoked = await create();
    await auth.authenticate(revoked.key);
    await as(app, owner.cookie).delete(`/api/api-keys/${revoked.apiKey.id}`).expect(204);
    expect(await refusal(revoked.key)).toMatchObject({ code: 'invalid_api_key' });

    const disabled = await create();
    await auth.authenticate(disabled.key);
    await as(app, owner.cookie).patch(`/api/api-keys/${disabled.apiKey.id}`, { isActive: false }).expect(200);
    expect((await refusal(disabled.key))?.code).toBe('invalid_api_key');
    await as(app, owner.cookie).patch(`/api/api-keys/${disabled.apiKey.id}`, { isActive: true }).expect(200);
    expect((await auth.authenticate(disabled.key)).id).toBe(disabled.apiKey.id);

    // Expiring while cached: no change event, the cached expiry itself is checked.
    const soon = await create({ expiresAt: new Date(Date.now() + 1200).toISOString() });
    await auth.authenticate(soon.key);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    const expired = await refusal(soon.key);
    expect([expired?.getStatus(), expired?.code]).toEqual([401, 'api_key_expired']);
    // Moved into the past by an edit.
    const edited = await create();
    await auth.authenticate(edited.key);
    await as(app, owner.cookie)
      .patch(`/api/api-keys/${edited.apiKey.id}`, { expiresAt: new Date(Date.now() - 1000).toISOString() })
      .expect(200);
    expect((await refusal(edited.key))?.code).toBe('api_key_expired');

    const other = await createUserSession(app, adminCookie, 'leaver');
    const leaving = (await as(app, other.cookie).post('/api/api-keys', { name: 'x' }).expect(201)).body;
    await auth.authenticate(leaving.key);
    await as(app, adminCookie).patch(`/api/users/${other.id}`, { isActive: false }).expect(200);
    expect((await refusal(leaving.key))?.code).toBe('invalid_api_key');
    await as(app, adminCookie).patch(`/api/users/${other.id}`, { isActive: true }).expect(200);
    expect((await auth.authenticate(leaving.key)).ownerUserId).toBe(other.id);
    // A role change reaches the cached principal too.
    await as(app, adminCookie).patch(`/api/users/${other.id}`, { role: 'admin' }).expect(200);
    expect((await auth.authenticate(leaving.key)).principal.role).toBe('admin');
    await as(app, adminCookie).delete(`/api/users/${other.id}`).expect(204);
    expect((await refusal(leaving.key))?.code).toBe('invalid_api_key');
  });

  it('reflects account allowlist changes, and account deletion, on the next request', async () => {
    const first = await insertAccount(app, owner.id);
    const second = await insertAccount(app, owner.id);
    const { key, apiKey } = await create({ accountIds: [first, second] });
    expect([...((await auth.authenticate(key)).accountIds ?? [])].sort()).toEqual([first, second].sort());

    await as(app, owner.cookie)
      .patch(`/api/api-keys/${apiKey.id}`, { accountIds: [second] })
      .expect(200);
    expect((await auth.authenticate(key)).accountIds).toEqual([second]);

    // What the accounts module does on delete: remove the row, then announce it.
    await app.instance.dataSource.query(`DELETE FROM accounts WHERE id = $1`, [second]);
    app.instance.app.get(DomainEvents).emit('account.changed', { accountId: second, ownerId: owner.id, deleted: true });
    // Restricted to nothing is not the same as unrestricted.
    expect((await auth.authenticate(key)).accountIds).toEqual([]);

    await as(app, owner.cookie).patch(`/api/api-keys/${apiKey.id}`, { accountIds: [] }).expect(200);
    expect((await auth.authenticate(key)).accountIds).toBeNull();
  });

  it("renders refusals in OpenAI's error envelope on proxy paths", async () => {
    const missing = render(await refusal(null), '/v1/responses');
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      error: {
        message: expect.stringContaining('API key'),
        type: 'authentication_error',
        code: 'missing_api_key',
        param: null,
      },
    });
    const invalid = render(await refusal('sk-clb-' + 'B'.repeat(43)), '/backend-api/codex/responses');
    expect(invalid.body).toEqual({
      error: { message: expect.any(String), type: 'authentication_error', code: 'invalid_api_key', param: null },
    });
    expect(JSON.stringify(invalid.body)).not.toContain('BBBB');
  });
});
