// Groups end to end: a truth table of principals {account owner, group owner, member, viewer,
// former member, outsider, admin} × accounts {own personal, group-owned, shared into the group,
// another user's unshared} × {list, get, update, route}, and the rule that the accounts a key may
// use by GET /api/api-keys/:id/effective-accounts are exactly the accounts it is routed to.
import request from 'supertest';
import type { FakeSeat } from '../src/fake-upstream';
import { createUserSession } from './support/app';
import { addAccount, codexBody, createKey, flushLogs, postCodex, startWorld, type World } from './support/proxy-world';

type Who = 'alice' | 'gina' | 'mem' | 'vic' | 'fred' | 'otto' | 'admin';
type Column = 'personal' | 'groupOwned' | 'shared' | 'unshared';
const WHO: Who[] = ['alice', 'gina', 'mem', 'vic', 'fred', 'otto', 'admin'];

// Expected answers. alice owns the shared account and is a member of the group; gina owns the
// group; mem is a member; vic a viewer; fred was a member; otto never was.
const READ: Record<Column, Who[]> = {
  personal: WHO,
  groupOwned: ['alice', 'gina', 'mem', 'vic', 'admin'],
  shared: ['alice', 'gina', 'mem', 'vic', 'admin'],
  unshared: ['admin'],
};
/** Update: 200 for these; 403 for other readers; 404 for the rest. */
const WRITE: Record<Column, Who[]> = {
  personal: WHO,
  groupOwned: ['gina', 'admin'],
  shared: ['alice', 'admin'],
  unshared: ['admin'],
};
const ROUTE: Record<Column, Who[]> = {
  personal: WHO,
  groupOwned: ['alice', 'gina', 'mem'],
  shared: ['alice', 'gina', 'mem'],
  unshared: [],
};

describe('groups', () => {
  let w: World;
  const users = {} as Record<Who, { id: string; cookie: string }>;
  const personal = {} as Record<Who, { id: string; seat: FakeSeat }>;
  const keys = {} as Record<Who, { key: string; id: string }>;
  let groupId: string;
  let groupOwned: { id: string; seat: FakeSeat };
  let shared: { id: string; seat: FakeSeat };

  const api = (who: Who) => {
    const cookie = users[who].cookie;
    return {
      get: (path: string) => request(w.app.url).get(path).set('cookie', cookie),
      post: (path: string, body?: object) => request(w.app.url).post(path).set('cookie', cookie).send(body),
      put: (path: string, body?: object) => request(w.app.url).put(path).set('cookie', cookie).send(body),
      patch: (path: string, body?: object) => request(w.app.url).patch(path).set('cookie', cookie).send(body),
      delete: (path: string) => request(w.app.url).delete(path).set('cookie', cookie),
    };
  };
  const member = (who: Who, role: string) =>
    api('gina').put(`/api/groups/${groupId}/members/${users[who].id}`, { role }).expect(200);

  /** The account of a column, as seen by `who` (another user's unshared account for "unshared"). */
  const accountOf = (who: Who, column: Column) => {
    if (column === 'personal') return personal[who];
    if (column === 'groupOwned') return groupOwned;
    if (column === 'shared') return shared;
    return who === 'otto' ? personal.alice : personal.otto;
  };

  /** Routes many requests with the key and returns the account ids that served any of them. */
  async function servedBy(who: Who, count: number): Promise<Set<string>> {
    const all = [...Object.values(personal), groupOwned, shared];
    const before = all.map((a) => w.fake.requestCount(a.seat));
    for (let i = 0; i < count; i++) {
      const response = await postCodex(w, keys[who].key, codexBody(`${who} request ${i} ${Math.random()}`));
      expect([who, i, response.status]).toEqual([who, i, 200]);
    }
    return new Set(all.filter((a, i) => w.fake.requestCount(a.seat) > before[i]).map((a) => a.id));
  }

  async function usableByApi(who: Who): Promise<Set<string>> {
    const response = await api(who).get(`/api/api-keys/${keys[who].id}/effective-accounts`).expect(200);
    const items = response.body.items as { accountId: string; usable: boolean }[];
    return new Set(items.filter((item) => item.usable).map((item) => item.accountId));
  }

  beforeAll(async () => {
    w = await startWorld();
    users.admin = { id: '', cookie: w.admin };
    users.alice = w.alice;
    users.otto = w.bob;
    for (const who of ['gina', 'mem', 'vic', 'fred'] as Who[])
      users[who] = await createUserSession(w.app, w.admin, who);
    for (const who of WHO) personal[who] = await addAccount(w, users[who].cookie, `${who}-own@example.com`);

    groupId = (await api('gina').post('/api/groups', { slug: 'team', name: 'Team' }).expect(201)).body.id;
    await member('alice', 'member');
    await member('mem', 'member');
    await member('vic', 'member');
    await member('fred', 'member');

    // gina moves an account of hers into the group; alice shares one of hers.
    groupOwned = await addAccount(w, users.gina.cookie, 'team-seat@example.com');
    await api('gina').patch(`/api/accounts/${groupOwned.id}/owner`, { groupId }).expect(200);
    shared = await addAccount(w, users.alice.cookie, 'alice-shared@example.com');
    await api('alice').put(`/api/accounts/${shared.id}/shares/${groupId}`).expect(200);

    for (const who of WHO) {
      const inGroup = who !== 'otto' && who !== 'admin';
      keys[who] = await createKey(w, users[who].cookie, {
        name: `${who} key`,
        ...(inGroup ? { groupIds: [groupId] } : {}),
      });
    }
    // vic attached the group as a member, then became a viewer; fred left.
    await member('vic', 'viewer');
    await api('gina').delete(`/api/groups/${groupId}/members/${users.fred.id}`).expect(204);
  });

  afterAll(() => w?.close());

  it('answers the truth table for list, get and update', async () => {
    const cells: string[] = [];
    for (const who of WHO) {
      const listed = new Set(
        ((await api(who).get('/api/accounts').expect(200)).body as { id: string }[]).map((a) => a.id),
      );
      for (const column of ['personal', 'groupOwned', 'shared', 'unshared'] as Column[]) {
        const account = accountOf(who, column);
        const readable = READ[column].includes(who);
        const get = await api(who).get(`/api/accounts/${account.id}`);
        const update = await api(who).patch(`/api/accounts/${account.id}`, { alias: `${who}-${column}` });
        const expectedUpdate = WRITE[column].includes(who) ? 200 : readable ? 403 : 404;
        cells.push(
          `${who}/${column}: list=${listed.has(account.id)} get=${get.status} update=${update.status}` +
            ` (want ${readable} ${readable ? 200 : 404} ${expectedUpdate})`,
        );
        expect([who, column, listed.has(account.id), get.status, update.status]).toEqual([
          who,
          column,
          readable,
          readable ? 200 : 404,
          expectedUpdate,
        ]);
      }
    }
    expect(cells).toHaveLength(28);
  });

  it('describes ownership and shares in account DTOs, only for groups the caller sees', async () => {
    const asMember = (await api('mem').get(`/api/accounts/${groupOwned.id}`).expect(200)).body;
    expect(asMember).toMatchObject({ ownerType: 'group', ownerId: groupId, ownerUserId: null });
    const sharedView = (await api('mem').get(`/api/accounts/${shared.id}`).expect(200)).body;
    expect(sharedView).toMatchObject({ ownerType: 'user', ownerId: users.alice.id, sharedWith: [groupId] });
  });

  it('routes each key exactly to the accounts effective-accounts calls usable, and those follow the truth table', async () => {
    for (const who of WHO) {
      const expected = new Set(
        (['personal', 'groupOwned', 'shared', 'unshared'] as Column[])
          .filter((column) => ROUTE[column].includes(who))
          .map((column) => accountOf(who, column).id),
      );
      const byApi = await usableByApi(who);
      expect([who, [...byApi].sort()]).toEqual([who, [...expected].sort()]);
      const routed = await servedBy(who, 12 * expected.size);
      expect([who, [...routed].sort()]).toEqual([who, [...byApi].sort()]);
    }
  });

  it('explains why an account is out of reach', async () => {
    const vic = (await api('vic').get(`/api/api-keys/${keys.vic.id}/effective-accounts`).expect(200)).body.items;
    expect(vic).toContainEqual(
      expect.objectContaining({
        accountId: groupOwned.id,
        usable: false,
        via: null,
        reason: expect.stringMatching(/viewer/),
      }),
    );
    const mem = (await api('mem').get(`/api/api-keys/${keys.mem.id}/effective-accounts`).expect(200)).body.items;
    expect(mem).toContainEqual(expect.objectContaining({ accountId: groupOwned.id, via: `group:${groupId} owns it` }));
    expect(mem).toContainEqual(expect.objectContaining({ accountId: shared.id, via: `shared into group:${groupId}` }));
    await api('otto').get(`/api/api-keys/${keys.mem.id}/effective-accounts`).expect(404);
  });

  it('keeps groups private, keeps an owner, refuses to attach a group without membership', async () => {
    await api('otto').get(`/api/groups/${groupId}`).expect(404);
    await api('fred').get(`/api/groups/${groupId}/members`).expect(404);
    expect((await api('otto').get('/api/groups').expect(200)).body.items).toEqual([]);
    expect((await api('admin').get('/api/groups').expect(200)).body.items.map((g: { id: string }) => g.id)).toContain(
      groupId,
    );
    await api('mem').put(`/api/groups/${groupId}/members/${users.otto.id}`, { role: 'member' }).expect(403);
    const last = await api('gina').put(`/api/groups/${groupId}/members/${users.gina.id}`, { role: 'member' });
    expect([last.status, last.body.error.code]).toEqual([409, 'last_group_owner']);
    const attach = await api('otto').post('/api/api-keys', { name: 'sneaky', groupIds: [groupId] });
    expect([attach.status, attach.body.error.code]).toEqual([400, 'invalid_group_ids']);
    const scope = await api('mem').post('/api/api-keys', { name: 'admin-ish', scopes: ['proxy', 'users:manage'] });
    expect([scope.status, scope.body.error.code]).toEqual([400, 'invalid_scopes']);
    const refused = await api('gina').delete(`/api/groups/${groupId}`);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'group_has_accounts']);
    await api('otto').put(`/api/accounts/${personal.otto.id}/shares/${groupId}`).expect(404);
    await api('vic').put(`/api/accounts/${personal.vic.id}/shares/${groupId}`).expect(403);
  });

  it('filters request logs by group: requests served by the group’s own and shared accounts', async () => {
    await flushLogs(w);
    const items = (await api('admin').get(`/api/request-logs?groupId=${groupId}&limit=500`).expect(200)).body.items as {
      accountId: string;
    }[];
    expect(items.length).toBeGreaterThan(0);
    expect(new Set(items.map((i) => i.accountId))).toEqual(new Set([groupOwned.id, shared.id]));
    const mine = (await api('mem').get(`/api/request-logs?groupId=${groupId}&limit=500`).expect(200)).body.items;
    expect(mine.length).toBeGreaterThan(0);
    await api('otto').get(`/api/request-logs?groupId=${groupId}`).expect(404);
  });

  it('previews the impact of removing a member, then a removed member’s next request avoids the group’s accounts', async () => {
    const nina = await createUserSession(w.app, w.admin, 'nina');
    await api('gina').put(`/api/groups/${groupId}/members/${nina.id}`, { role: 'member' }).expect(200);
    const ninaKey = await createKey(w, nina.cookie, { name: 'nina key', groupIds: [groupId] });
    expect((await postCodex(w, ninaKey.key, codexBody('nina before'))).status).toBe(200);

    const impact = (await api('gina').get(`/api/groups/${groupId}/impact?removeMember=${users.mem.id}`).expect(200))
      .body;
    expect(impact.keys).toEqual([
      expect.objectContaining({
        apiKeyId: keys.mem.id,
        lostAccountIds: expect.arrayContaining([groupOwned.id, shared.id]),
      }),
    ]);
    await api('mem').get(`/api/groups/${groupId}/impact?removeMember=${users.mem.id}`).expect(403);

    await api('gina').delete(`/api/groups/${groupId}/members/${users.mem.id}`).expect(204);
    await api('gina').delete(`/api/groups/${groupId}/members/${nina.id}`).expect(204);
    const routed = await servedBy('mem', 10);
    expect([...routed]).toEqual([personal.mem.id]);
    const none = await postCodex(w, ninaKey.key, codexBody('nina after'));
    expect([none.status, none.body.error?.code]).toEqual([503, 'no_accounts']);
  });

  it('withdrawing a share and moving an account out of the group take effect on the next request', async () => {
    await api('alice').delete(`/api/accounts/${shared.id}/shares/${groupId}`).expect(204);
    expect(await usableByApi('gina')).toEqual(new Set([personal.gina.id, groupOwned.id]));
    expect(await servedBy('gina', 20)).toEqual(new Set([personal.gina.id, groupOwned.id]));
    // A member cannot take a group account; an admin hands it back to gina, and the group can go.
    await api('alice').patch(`/api/accounts/${groupOwned.id}/owner`, { userId: users.alice.id }).expect(403);
    await api('admin').patch(`/api/accounts/${groupOwned.id}/owner`, { userId: users.gina.id }).expect(200);
    expect(await usableByApi('alice')).toEqual(new Set([personal.alice.id, shared.id]));
    expect(await servedBy('alice', 20)).toEqual(new Set([personal.alice.id, shared.id]));
    await api('mem').get(`/api/accounts/${groupOwned.id}`).expect(404);
    await api('gina').delete(`/api/groups/${groupId}`).expect(204);
    await api('gina').get(`/api/groups/${groupId}`).expect(404);
  });
});
