// What a group's members see through it, read-only: the group's keys (attached to it, or of its
// service accounts), its request logs and its usage (requests its accounts served, and requests
// made with its keys). Changing a key seen only through a group is a 403; anything else of
// another user stays a 404 or absent. The groupId filter of usage answers like the one of request
// logs. Deleting a group (its accounts moved out first) disables its service accounts.
import { as } from './support/api-keys';
import { createUserSession } from './support/app';
import { addAccount, codexBody, createKey, flushLogs, postCodex, startWorld, type World } from './support/proxy-world';

interface Log {
  id: string;
  apiKeyId: string | null;
  accountId: string | null;
  accountLabel: string | null;
}

describe('groups: what members see through a group', () => {
  let w: World;
  let gina: { id: string; cookie: string };
  let mem: { id: string; cookie: string };
  let vic: { id: string; cookie: string };
  let groupId: string;
  let groupOwnedId: string;
  let sharedId: string;
  let memOwnId: string;
  let memKey: { key: string; id: string };
  let memPrivateKey: { key: string; id: string };
  let ottoKey: { key: string; id: string };
  let serviceAccountId: string;
  let serviceKey: { key: string; id: string };

  const otto = () => w.bob;
  const logs = async (cookie: string, query = '') =>
    (await as(w.app, cookie).get(`/api/request-logs?limit=500${query}`).expect(200)).body.items as Log[];
  const summary = async (cookie: string, query = '') =>
    (await as(w.app, cookie).get(`/api/usage/summary?${query}`).expect(200)).body.current.requests as number;
  const seriesTotal = async (cookie: string, query: string) => {
    const body = (await as(w.app, cookie).get(`/api/usage/timeseries?${query}`).expect(200)).body;
    return (body.series as { points: { requests: number }[] }[])
      .flatMap((s) => s.points)
      .reduce((sum, p) => sum + p.requests, 0);
  };

  beforeAll(async () => {
    w = await startWorld();
    gina = await createUserSession(w.app, w.admin, 'gina');
    mem = await createUserSession(w.app, w.admin, 'mem');
    vic = await createUserSession(w.app, w.admin, 'vic');

    groupId = (await as(w.app, gina.cookie).post('/api/groups', { slug: 'seen', name: 'Seen' }).expect(201)).body.id;
    await as(w.app, gina.cookie).put(`/api/groups/${groupId}/members/${mem.id}`, { role: 'member' }).expect(200);
    await as(w.app, gina.cookie).put(`/api/groups/${groupId}/members/${vic.id}`, { role: 'viewer' }).expect(200);

    groupOwnedId = (await addAccount(w, gina.cookie, 'seen-seat@example.com')).id;
    await as(w.app, gina.cookie).patch(`/api/accounts/${groupOwnedId}/owner`, { groupId }).expect(200);
    sharedId = (await addAccount(w, mem.cookie, 'mem-shared@example.com')).id;
    await as(w.app, mem.cookie).put(`/api/accounts/${sharedId}/shares/${groupId}`).expect(200);
    memOwnId = (await addAccount(w, mem.cookie, 'mem-own@example.com')).id;
    await addAccount(w, otto().cookie, 'otto-own@example.com');

    // mem's group key may be served by mem's own account too; memPrivateKey is restricted to it
    // and attached to no group: it is mem's alone.
    memKey = await createKey(w, mem.cookie, { name: 'mem group key', groupIds: [groupId] });
    memPrivateKey = await createKey(w, mem.cookie, { name: 'mem private key', accountIds: [memOwnId] });
    ottoKey = await createKey(w, otto().cookie, { name: 'otto key' });
    serviceAccountId = (
      await as(w.app, gina.cookie).post('/api/service-accounts', { name: 'seen-ci', groupId }).expect(201)
    ).body.id;
    const created = await as(w.app, gina.cookie)
      .post(`/api/service-accounts/${serviceAccountId}/keys`, { name: 'ci key' })
      .expect(201);
    serviceKey = { key: created.body.key, id: created.body.apiKey.id };

    for (let i = 0; i < 18; i++) {
      for (const key of [memKey, memPrivateKey, ottoKey, serviceKey]) {
        expect((await postCodex(w, key.key, codexBody(`request ${i} ${Math.random()}`))).status).toBe(200);
      }
    }
    await flushLogs(w);
  });

  afterAll(() => w?.close());

  it('a viewer lists and reads the group’s keys, and cannot change them (403)', async () => {
    const listed = (await as(w.app, vic.cookie).get('/api/api-keys').expect(200)).body as { id: string }[];
    const ids = new Set(listed.map((key) => key.id));
    expect(ids.has(memKey.id)).toBe(true);
    expect(ids.has(serviceKey.id)).toBe(true);
    expect(ids.has(memPrivateKey.id)).toBe(false);
    expect(ids.has(ottoKey.id)).toBe(false);

    const seen = (await as(w.app, vic.cookie).get(`/api/api-keys/${memKey.id}`).expect(200)).body;
    expect(seen).toMatchObject({ id: memKey.id, ownerUserId: mem.id, groupIds: [groupId] });
    await as(w.app, vic.cookie).get(`/api/api-keys/${serviceKey.id}`).expect(200);
    // The explainer shows the reader only the accounts they see through the group.
    const explained = (await as(w.app, vic.cookie).get(`/api/api-keys/${memKey.id}/effective-accounts`).expect(200))
      .body.items as { accountId: string }[];
    expect(new Set(explained.map((item) => item.accountId))).toEqual(new Set([groupOwnedId, sharedId]));

    for (const id of [memKey.id, serviceKey.id]) {
      await as(w.app, vic.cookie).patch(`/api/api-keys/${id}`, { name: 'renamed' }).expect(403);
      await as(w.app, vic.cookie).post(`/api/api-keys/${id}/regenerate`).expect(403);
      await as(w.app, vic.cookie).delete(`/api/api-keys/${id}`).expect(403);
    }
    // A group owner reads a member's key but does not change it either; its owner still can.
    await as(w.app, gina.cookie).patch(`/api/api-keys/${memKey.id}`, { name: 'renamed' }).expect(403);
    await as(w.app, mem.cookie).patch(`/api/api-keys/${memKey.id}`, { name: 'mem group key' }).expect(200);
    // The key still works: nothing above changed it.
    expect((await postCodex(w, memKey.key, codexBody('still good'))).status).toBe(200);
  });

  it('another user’s personal key stays invisible (404) to a group member, and group keys to an outsider', async () => {
    for (const id of [ottoKey.id, memPrivateKey.id]) {
      await as(w.app, vic.cookie).get(`/api/api-keys/${id}`).expect(404);
      await as(w.app, vic.cookie).get(`/api/api-keys/${id}/effective-accounts`).expect(404);
      await as(w.app, vic.cookie).patch(`/api/api-keys/${id}`, { name: 'x' }).expect(404);
      await as(w.app, vic.cookie).delete(`/api/api-keys/${id}`).expect(404);
    }
    const outsider = (await as(w.app, otto().cookie).get('/api/api-keys').expect(200)).body as { id: string }[];
    expect(outsider.map((key) => key.id)).toEqual([ottoKey.id]);
    await as(w.app, otto().cookie).get(`/api/api-keys/${memKey.id}`).expect(404);
    await as(w.app, otto().cookie).delete(`/api/api-keys/${serviceKey.id}`).expect(404);
  });

  it('a viewer sees the requests the group’s accounts served and its keys made, in logs and usage', async () => {
    await flushLogs(w);
    const all = await logs(w.admin);
    const byGroupAccounts = all.filter((l) => l.accountId === groupOwnedId || l.accountId === sharedId);
    const byGroupKeys = all.filter((l) => l.apiKeyId === memKey.id || l.apiKeyId === serviceKey.id);
    expect(byGroupAccounts.length).toBeGreaterThan(0);
    // mem's group key was also served by mem's own account: those requests are the group's too.
    expect(byGroupKeys.some((l) => l.accountId === memOwnId)).toBe(true);

    const filtered = await logs(vic.cookie, `&groupId=${groupId}`);
    expect(new Set(filtered.map((l) => l.id))).toEqual(new Set(byGroupAccounts.map((l) => l.id)));
    const visible = await logs(vic.cookie);
    const expected = new Set([...byGroupAccounts, ...byGroupKeys].map((l) => l.id));
    expect(new Set(visible.map((l) => l.id))).toEqual(expected);
    expect(visible.some((l) => l.apiKeyId === memPrivateKey.id || l.apiKeyId === ottoKey.id)).toBe(false);
    // A group key's request served by mem's personal account does not name that account to vic.
    const labels = new Map(visible.map((l) => [l.accountId, l.accountLabel]));
    expect(labels.get(memOwnId)).toBeNull();
    expect(labels.get(groupOwnedId)).toBe('seen-seat@example.com');
    expect(labels.get(sharedId)).toBe('mem-shared@example.com');
    const byAccount = (await as(w.app, vic.cookie).get('/api/usage/timeseries?groupBy=account').expect(200)).body
      .series as { key: string; label: string }[];
    expect(byAccount.find((s) => s.key === memOwnId)?.label).toBe(`Account ${memOwnId.slice(0, 8)}`);
    expect(byAccount.find((s) => s.key === sharedId)?.label).toBe('mem-shared@example.com');
    const memView = (await logs(mem.cookie)).find((l) => l.accountId === memOwnId);
    expect(memView?.accountLabel).toBe('mem-own@example.com');

    const ottoLog = all.find((l) => l.apiKeyId === ottoKey.id)!;
    const privateLog = all.find((l) => l.apiKeyId === memPrivateKey.id)!;
    await as(w.app, vic.cookie).get(`/api/request-logs/${ottoLog.id}`).expect(404);
    await as(w.app, vic.cookie).get(`/api/request-logs/${privateLog.id}`).expect(404);
    await as(w.app, vic.cookie).get(`/api/request-logs/${filtered[0].id}`).expect(200);

    // Usage with groupId counts exactly the requests the group's accounts served, for a viewer
    // as for an admin, in the summary and in hourly and daily series.
    expect(await summary(vic.cookie, `groupId=${groupId}`)).toBe(byGroupAccounts.length);
    expect(await summary(w.admin, `groupId=${groupId}`)).toBe(byGroupAccounts.length);
    expect(await seriesTotal(vic.cookie, `groupId=${groupId}&bucket=hour&groupBy=key`)).toBe(byGroupAccounts.length);
    expect(await seriesTotal(vic.cookie, `groupId=${groupId}&bucket=day&groupBy=account`)).toBe(byGroupAccounts.length);
    // Without it, the viewer's usage is what their logs show; the outsider's is their own.
    expect(await summary(vic.cookie)).toBe(expected.size);
    expect(await seriesTotal(vic.cookie, 'bucket=hour&groupBy=owner')).toBe(expected.size);
    const ottoCount = all.filter((l) => l.apiKeyId === ottoKey.id).length;
    expect(await summary(otto().cookie)).toBe(ottoCount);
    expect(await seriesTotal(otto().cookie, 'bucket=hour')).toBe(ottoCount);
  });

  it('an outsider gets 404 for the groupId filter of usage and logs', async () => {
    await as(w.app, otto().cookie).get(`/api/usage/summary?groupId=${groupId}`).expect(404);
    await as(w.app, otto().cookie).get(`/api/usage/timeseries?groupId=${groupId}`).expect(404);
    await as(w.app, otto().cookie).get(`/api/request-logs?groupId=${groupId}`).expect(404);
    await as(w.app, otto().cookie).get(`/api/request-logs/export?groupId=${groupId}`).expect(404);
    const bad = await as(w.app, vic.cookie).get('/api/usage/summary?groupId=not-a-uuid');
    expect(bad.status).toBe(400);
  });

  it('deleting a group (its accounts moved out) disables its service accounts: their keys get 401', async () => {
    const refused = await as(w.app, gina.cookie).delete(`/api/groups/${groupId}`);
    expect([refused.status, refused.body.error?.code]).toEqual([409, 'group_has_accounts']);
    // The refusal changed nothing: the service key still works.
    expect((await postCodex(w, serviceKey.key, codexBody('before'))).status).toBe(200);

    await as(w.app, w.admin).patch(`/api/accounts/${groupOwnedId}/owner`, { userId: gina.id }).expect(200);
    await as(w.app, gina.cookie).delete(`/api/groups/${groupId}`).expect(204);
    const after = await postCodex(w, serviceKey.key, codexBody('after'));
    expect([after.status, after.body.error?.code]).toEqual([401, 'invalid_api_key']);
    const account = await as(w.app, w.admin).get(`/api/service-accounts/${serviceAccountId}`).expect(200);
    expect(account.body).toMatchObject({ isActive: false, groupId: null });
    // The group's former keys are their owners' alone again.
    await as(w.app, vic.cookie).get(`/api/api-keys/${memKey.id}`).expect(404);
    expect((await postCodex(w, memKey.key, codexBody('own pool'))).status).toBe(200);
  });
});
