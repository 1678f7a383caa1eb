// Service accounts against the real app: principals with no password that never sign in, whose
// keys draw on their group's pool, managed by admins and the group's owners only, refused from
// the next request once disabled, and whose requests carry the caller's end-user label.
import request from 'supertest';
import { addAccount, codexBody, flushLogs, postCodex, startWorld, type World } from './support/proxy-world';
import { as } from './support/api-keys';
import { createUserSession } from './support/app';
import { DomainEvents } from '../src/common/events';
import { hashToken } from '../src/modules/auth/sessions.service';
import { disableServiceAccountsOfGroup } from '../src/modules/service-accounts/service-accounts.repository';

describe('service accounts', () => {
  let w: World;
  let groupId: string;
  let poolAccountId: string;
  let carol: { id: string; cookie: string };

  beforeAll(async () => {
    w = await startWorld();
    carol = await createUserSession(w.app, w.admin, 'carol');
    // alice owns the group and shares an account into it; bob is an outsider; carol a member.
    groupId = (await as(w.app, w.alice.cookie).post('/api/groups', { slug: 'ci', name: 'CI' }).expect(201)).body.id;
    await as(w.app, w.alice.cookie).put(`/api/groups/${groupId}/members/${carol.id}`, { role: 'member' }).expect(200);
    poolAccountId = (await addAccount(w, w.alice.cookie, 'pool@example.com')).id;
    await as(w.app, w.alice.cookie).put(`/api/accounts/${poolAccountId}/shares/${groupId}`).expect(200);
    // bob has an account of his own, which a service key of alice's group must never reach.
    await addAccount(w, w.bob.cookie, 'bob-own@example.com');
  });
  afterAll(() => w.close());

  async function createServiceAccount(cookie: string, name: string, group: string | null = groupId) {
    const response = await as(w.app, cookie).post('/api/service-accounts', { name, groupId: group }).expect(201);
    return response.body as { id: string; name: string; groupId: string | null; isActive: boolean };
  }

  async function createServiceKey(cookie: string, id: string, body: object = {}) {
    const response = await as(w.app, cookie)
      .post(`/api/service-accounts/${id}/keys`, { name: 'ci key', ...body })
      .expect(201);
    expect(response.body.key).toMatch(/^sk-clb-/);
    return response.body as { key: string; apiKey: { id: string; groupIds: string[]; scopes: string[] } };
  }

  it('cannot sign in: the answer is the one an unknown name gets', async () => {
    await createServiceAccount(w.alice.cookie, 'ci-login');
    const attempt = (username: string) =>
      request(w.app.url).post('/api/dashboard-auth/password/login').send({ username, password: 'anything-at-all' });
    const [service, unknown] = [await attempt('ci-login'), await attempt('nobody-by-this-name')];
    expect(service.status).toBe(401);
    expect(service.body).toEqual(unknown.body);
    expect(service.headers['set-cookie']).toBeUndefined();
    // Similar timing: both compare against a bcrypt hash (the service account has none).
    const time = async (username: string) => {
      const start = performance.now();
      await attempt(username);
      return performance.now() - start;
    };
    const serviceTimes = [await time('ci-login'), await time('ci-login'), await time('ci-login')];
    const unknownTimes = [await time('nobody-2'), await time('nobody-3'), await time('nobody-4')];
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
    expect(Math.abs(median(serviceTimes) - median(unknownTimes))).toBeLessThan(
      Math.max(median(unknownTimes), median(serviceTimes)),
    );
  });

  it('never holds a session, even with a session row planted for it', async () => {
    const account = await createServiceAccount(w.alice.cookie, 'ci-session');
    const token = 'planted-session-token-for-a-service-account';
    await w.app.instance.dataSource.query(
      `INSERT INTO dashboard_sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')`,
      [hashToken(token), account.id],
    );
    const cookie = `codex_lb_session=${token}`;
    expect((await as(w.app, cookie).get('/api/dashboard-auth/session').expect(200)).body).toEqual({
      authenticated: false,
    });
    expect((await as(w.app, cookie).get('/api/accounts')).status).toBe(401);
  });

  it("routes its key to its group's pool, and logs the request as its own with the end-user label", async () => {
    const account = await createServiceAccount(w.alice.cookie, 'ci-routing');
    const { key, apiKey } = await createServiceKey(w.alice.cookie, account.id);
    expect(apiKey.groupIds).toEqual([groupId]);
    expect(apiKey.scopes).toEqual(['proxy']);
    for (let i = 0; i < 3; i++) {
      await postCodex(w, key, codexBody(`ci ${i}`), { 'x-codex-lb-end-user': ` dev\u00e9-${i} ` }).expect(200);
    }
    // The label stays here: the upstream never sees it.
    expect(w.fake.requests.length).toBeGreaterThan(0);
    expect(w.fake.requests.some((r) => 'x-codex-lb-end-user' in r.headers)).toBe(false);
    await flushLogs(w);
    const logs = await as(w.app, w.admin).get(`/api/request-logs?ownerId=${account.id}`).expect(200);
    expect(logs.body.items).toHaveLength(3);
    for (const item of logs.body.items) {
      expect(item).toMatchObject({ ownerUserId: account.id, ownerUsername: 'ci-routing', accountId: poolAccountId });
      expect(item.apiKeyId).toBe(apiKey.id);
    }
    expect(logs.body.items.map((item: { endUser: string }) => item.endUser).sort()).toEqual([
      'dev\u00e9-0',
      'dev\u00e9-1',
      'dev\u00e9-2',
    ]);
    const filtered = await as(w.app, w.admin).get(`/api/request-logs?endUser=${encodeURIComponent('devé-1')}`);
    expect(filtered.body.items.map((item: { endUser: string }) => item.endUser)).toEqual(['devé-1']);
    const csv = await as(w.app, w.admin).get(`/api/request-logs/export?ownerId=${account.id}`).expect(200);
    const [header, ...rows] = csv.text.trimEnd().split('\r\n');
    expect(header.split(',').at(-1)).toBe('endUser');
    expect(rows.map((row) => row.split(',').at(-1)).sort()).toEqual(['devé-0', 'devé-1', 'devé-2']);
  });

  it('refuses its keys on the next request once disabled, and again once deleted', async () => {
    const account = await createServiceAccount(w.alice.cookie, 'ci-disable');
    const { key } = await createServiceKey(w.alice.cookie, account.id);
    await postCodex(w, key, codexBody('before')).expect(200);
    const disabled = await as(w.app, w.alice.cookie).post(`/api/service-accounts/${account.id}/disable`).expect(200);
    expect(disabled.body.isActive).toBe(false);
    const refused = await postCodex(w, key, codexBody('after'));
    expect([refused.status, refused.body.error?.code]).toEqual([401, 'invalid_api_key']);
    // No new keys while disabled; enabling it again brings its keys back.
    await as(w.app, w.alice.cookie).post(`/api/service-accounts/${account.id}/keys`, { name: 'x' }).expect(409);
    await as(w.app, w.alice.cookie).patch(`/api/service-accounts/${account.id}`, { isActive: true }).expect(200);
    await postCodex(w, key, codexBody('enabled again')).expect(200);
    await as(w.app, w.alice.cookie).delete(`/api/service-accounts/${account.id}`).expect(204);
    expect((await postCodex(w, key, codexBody('deleted'))).status).toBe(401);
    await as(w.app, w.alice.cookie).get(`/api/service-accounts/${account.id}`).expect(404);
  });

  it("is managed by the group's owners and admins; members get 403 creating, outsiders 404 everywhere", async () => {
    const account = await createServiceAccount(w.alice.cookie, 'ci-access');
    const paths = [
      ['get', `/api/service-accounts/${account.id}`],
      ['patch', `/api/service-accounts/${account.id}`],
      ['post', `/api/service-accounts/${account.id}/disable`],
      ['get', `/api/service-accounts/${account.id}/keys`],
      ['post', `/api/service-accounts/${account.id}/keys`],
      ['delete', `/api/service-accounts/${account.id}`],
    ] as const;
    for (const cookie of [w.bob.cookie, carol.cookie]) {
      for (const [method, path] of paths) {
        const body =
          method === 'post' && path.endsWith('/keys') ? { name: 'k' } : method === 'patch' ? { name: 'x1' } : {};
        const response = await (method === 'get' || method === 'delete'
          ? as(w.app, cookie)[method](path)
          : as(w.app, cookie)[method](path, body));
        expect([method, path, response.status]).toEqual([method, path, 404]);
      }
      const list = await as(w.app, cookie).get('/api/service-accounts').expect(200);
      expect(list.body.items.map((item: { id: string }) => item.id)).not.toContain(account.id);
    }
    await as(w.app, carol.cookie).post('/api/service-accounts', { name: 'by-member', groupId }).expect(403);
    await as(w.app, w.bob.cookie).post('/api/service-accounts', { name: 'by-outsider', groupId }).expect(404);
    await as(w.app, w.alice.cookie).post('/api/service-accounts', { name: 'no-group' }).expect(403);
    // The owner and an admin see and change it.
    expect((await as(w.app, w.alice.cookie).get('/api/service-accounts').expect(200)).body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: account.id, groupId, groupName: 'CI' })]),
    );
    await as(w.app, w.admin).patch(`/api/service-accounts/${account.id}`, { name: 'ci-access-2' }).expect(200);
    const admins = await createServiceAccount(w.admin, 'admins-bot', null);
    expect(admins.groupId).toBeNull();
    await as(w.app, w.alice.cookie).get(`/api/service-accounts/${admins.id}`).expect(404);
    // Names are unique among all principals.
    await as(w.app, w.alice.cookie).post('/api/service-accounts', { name: 'bob', groupId }).expect(409);
  });

  it('is not a user: user management answers 404 for it and does not list it', async () => {
    const account = await createServiceAccount(w.alice.cookie, 'ci-not-a-user');
    await as(w.app, w.admin).get(`/api/users/${account.id}`).expect(404);
    await as(w.app, w.admin).patch(`/api/users/${account.id}`, { role: 'admin' }).expect(404);
    await as(w.app, w.admin).delete(`/api/users/${account.id}`).expect(404);
    const users = await as(w.app, w.admin).get('/api/users?limit=200').expect(200);
    expect(users.body.items.map((user: { id: string }) => user.id)).not.toContain(account.id);
  });

  it('is disabled when its group is deleted (the hook the group delete path runs)', async () => {
    const other = (await as(w.app, w.alice.cookie).post('/api/groups', { slug: 'doomed', name: 'Doomed' }).expect(201))
      .body.id as string;
    const account = await createServiceAccount(w.alice.cookie, 'ci-doomed', other);
    const { key } = await createServiceKey(w.alice.cookie, account.id);
    // The key is good (the group has no accounts, so nothing serves it yet).
    expect((await postCodex(w, key, codexBody('group alive'))).body.error?.code).toBe('no_accounts');
    // What GroupsService.delete runs: the hook inside its transaction, before the DELETE, and
    // user.changed for each disabled id after the commit.
    const ids = await w.app.instance.dataSource.transaction(async (manager) => {
      const disabled = await disableServiceAccountsOfGroup(manager, other);
      await manager.query(`DELETE FROM groups WHERE id = $1`, [other]);
      return disabled;
    });
    expect(ids).toEqual([account.id]);
    for (const userId of ids) w.app.instance.app.get(DomainEvents).emit('user.changed', { userId });
    const after = await as(w.app, w.admin).get(`/api/service-accounts/${account.id}`).expect(200);
    expect(after.body).toMatchObject({ groupId: null, isActive: false });
    expect((await postCodex(w, key, codexBody('group gone'))).status).toBe(401);
    // Its group's owner no longer sees it; an admin may re-enable it as an admins' service account.
    await as(w.app, w.alice.cookie).get(`/api/service-accounts/${account.id}`).expect(404);
  });
});
