// SCIM 2.0 end to end, checked with SCIM's own shapes (RFC 7643/7644): a directory creates,
// patches, replaces, deactivates and deletes users and pushes group membership into codex-lb
// groups; a deactivated user's session and API key are refused on their next request; filters and
// pagination; errors carry `status` and `scimType`; only a live SCIM token opens /scim/v2 (not a
// session cookie, not an API key, not a revoked token); every change is audited with the token as
// the actor.
import request from 'supertest';
import { AuditService } from '../src/modules/audit/audit.service';
import { addAccount, codexBody, createKey, postCodex, startWorld, type World } from './support/proxy-world';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SCIM_JSON = 'application/scim+json';

describe('SCIM 2.0', () => {
  let w: World;
  let token: string;
  let tokenId: string;

  beforeAll(async () => {
    w = await startWorld();
    const created = await request(w.app.url)
      .post('/api/scim-tokens')
      .set('cookie', w.admin)
      .send({ name: 'Okta' })
      .expect(201);
    token = created.body.token;
    tokenId = created.body.id;
  });
  afterAll(() => w.close());

  const scim = (bearer = token) => {
    const auth = (r: request.Test) => r.set('authorization', `Bearer ${bearer}`);
    return {
      get: (path: string) => auth(request(w.app.url).get(`/scim/v2${path}`)),
      post: (path: string, body: object) =>
        auth(request(w.app.url).post(`/scim/v2${path}`))
          .set('content-type', SCIM_JSON)
          .send(JSON.stringify(body)),
      put: (path: string, body: object) =>
        auth(request(w.app.url).put(`/scim/v2${path}`))
          .set('content-type', SCIM_JSON)
          .send(JSON.stringify(body)),
      patch: (path: string, operations: object[]) =>
        auth(request(w.app.url).patch(`/scim/v2${path}`))
          .set('content-type', SCIM_JSON)
          .send(JSON.stringify({ schemas: [PATCH], Operations: operations })),
      delete: (path: string) => auth(request(w.app.url).delete(`/scim/v2${path}`)),
    };
  };

  /** A SCIM answer body (supertest leaves application/scim+json unparsed). */
  const body = (response: request.Response) => JSON.parse(response.text);

  function expectScimError(response: request.Response, status: number, scimType?: string) {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toContain(SCIM_JSON);
    const error = body(response);
    expect(error.schemas).toEqual([ERROR]);
    expect(error.status).toBe(String(status));
    expect(typeof error.detail).toBe('string');
    if (scimType) expect(error.scimType).toBe(scimType);
  }

  async function createUser(userName: string, extra: Record<string, unknown> = {}) {
    const response = await scim().post('/Users', {
      schemas: [USER],
      userName,
      name: { givenName: 'Dana', familyName: 'Scully' },
      emails: [{ value: `${userName.split('@')[0]}@corp.example`, type: 'work', primary: true }],
      active: true,
      ...extra,
    });
    expect(response.status).toBe(201);
    return body(response);
  }

  async function auditRows(targetId: string) {
    await w.app.instance.app.get(AuditService).flush();
    return w.app.instance.dataSource.query(
      `SELECT action, actor_id, actor_kind, actor_label, auth_method FROM audit_events WHERE target_id = $1 ORDER BY id`,
      [targetId],
    );
  }

  it('creates a user in SCIM shape: role `user`, no password, audited with the token as actor', async () => {
    const response = await scim().post('/Users', {
      schemas: [USER],
      externalId: '00u-dana',
      userName: 'dana@corp.example',
      name: { givenName: 'Dana', familyName: 'Scully' },
      displayName: 'Dana Scully',
      emails: [{ value: 'dana@corp.example', type: 'work', primary: true }],
      active: true,
    });
    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toContain(SCIM_JSON);
    const user = body(response);
    expect(user).toMatchObject({
      schemas: [USER],
      externalId: '00u-dana',
      userName: 'dana@corp.example',
      name: { givenName: 'Dana', familyName: 'Scully' },
      displayName: 'Dana Scully',
      active: true,
      emails: [{ value: 'dana@corp.example', type: 'work', primary: true }],
      groups: [],
      meta: { resourceType: 'User' },
    });
    expect(user.meta.location).toBe(`${w.app.url}/scim/v2/Users/${user.id}`);
    expect(response.headers.location).toBe(user.meta.location);
    expect(new Date(user.meta.created).getTime()).not.toBeNaN();
    expect(user.meta.lastModified).toBeDefined();
    expect(user.meta.version).toMatch(/^W\/".+"$/);

    const [row] = await w.app.instance.dataSource.query(
      `SELECT role, password_hash, is_active FROM dashboard_users WHERE id = $1`,
      [user.id],
    );
    expect(row).toEqual({ role: 'user', password_hash: null, is_active: true });
    // No password: the password login refuses them like a wrong password.
    const login = await request(w.app.url)
      .post('/api/dashboard-auth/password/login')
      .send({ username: 'dana@corp.example', password: 'anything-at-all' });
    expect(login.status).toBe(401);

    expect(await auditRows(user.id)).toEqual([
      {
        action: 'user.create',
        actor_id: tokenId,
        actor_kind: 'service',
        actor_label: 'SCIM: Okta',
        auth_method: expect.stringMatching(/^scim_token:scim-clb-/),
      },
    ]);
    const again = await scim().get(`/Users/${user.id}`).expect(200);
    expect(body(again)).toEqual(user);
    // The same userName again (any case) is a uniqueness conflict.
    expectScimError(await scim().post('/Users', { schemas: [USER], userName: 'DANA@corp.example' }), 409, 'uniqueness');
  });

  it('patches a user (add, replace, remove) and replaces one with PUT', async () => {
    const user = await createUser('fox@corp.example', { externalId: '00u-fox' });
    const patched = await scim().patch(`/Users/${user.id}`, [
      { op: 'replace', path: 'name.givenName', value: 'Fox' },
      { op: 'add', path: 'displayName', value: 'Fox Mulder' },
      { op: 'add', path: 'emails', value: [{ value: 'spooky@corp.example', type: 'home' }] },
      { op: 'remove', path: 'emails[type eq "work"]' },
      { op: 'replace', value: { externalId: '00u-fox-2', userName: 'fox.mulder@corp.example' } },
    ]);
    expect(patched.status).toBe(200);
    expect(body(patched)).toMatchObject({
      id: user.id,
      userName: 'fox.mulder@corp.example',
      externalId: '00u-fox-2',
      displayName: 'Fox Mulder',
      name: { givenName: 'Fox', familyName: 'Scully' },
      emails: [{ value: 'spooky@corp.example', type: 'home' }],
      active: true,
    });
    const removed = await scim().patch(`/Users/${user.id}`, [{ op: 'remove', path: 'displayName' }]);
    expect(body(removed).displayName).toBeUndefined();

    const replaced = await scim().put(`/Users/${user.id}`, {
      schemas: [USER],
      userName: 'fox.mulder@corp.example',
      name: { givenName: 'Fox', familyName: 'Mulder' },
      emails: [{ value: 'fox@corp.example', type: 'work', primary: true }],
      active: true,
    });
    expect(replaced.status).toBe(200);
    expect(body(replaced)).toMatchObject({
      name: { givenName: 'Fox', familyName: 'Mulder' },
      emails: [{ value: 'fox@corp.example', type: 'work', primary: true }],
    });
    // PUT replaces: the externalId it did not send is gone.
    expect(body(replaced).externalId).toBeUndefined();
    const actions = (await auditRows(user.id)).map((row: { action: string; actor_kind: string }) => [
      row.action,
      row.actor_kind,
    ]);
    expect(actions).toEqual([
      ['user.create', 'service'],
      ['user.update', 'service'],
      ['user.update', 'service'],
      ['user.update', 'service'],
    ]);
    expectScimError(await scim().patch(`/Users/${user.id}`, [{ op: 'jump', path: 'x' }]), 400, 'invalidSyntax');
    expectScimError(await scim().patch(`/Users/${user.id}`, [{ op: 'replace', value: { active: 'maybe' } }]), 400);
  });

  it('deactivates a user: their session and their API key are refused on the next request', async () => {
    // alice signed in with a password and holds a key; the directory then deactivates her.
    await addAccount(w, w.alice.cookie, 'alice-scim@example.com');
    const key = await createKey(w, w.alice.cookie, { name: 'alice scim key' });
    expect((await postCodex(w, key.key, codexBody('before'))).status).toBe(200);
    await request(w.app.url).get('/api/dashboard-auth/session').set('cookie', w.alice.cookie).expect(200);

    const found = body(
      await scim()
        .get('/Users?filter=' + encodeURIComponent('userName eq "ALICE"'))
        .expect(200),
    );
    expect(found.totalResults).toBe(1);
    const alice = found.Resources[0];
    expect(alice).toMatchObject({ id: w.alice.id, userName: 'alice', active: true });

    const patched = await scim().patch(`/Users/${alice.id}`, [{ op: 'replace', value: { active: false } }]);
    expect(patched.status).toBe(200);
    expect(body(patched).active).toBe(false);

    const refused = await postCodex(w, key.key, codexBody('after'));
    expect(refused.status).toBe(401);
    const me = await request(w.app.url).get('/api/usage/summary').set('cookie', w.alice.cookie);
    expect(me.status).toBe(401);
    // The rows go right after the answer (the lookup already refuses them).
    let left = -1;
    for (let i = 0; i < 50 && left !== 0; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const rows = await w.app.instance.dataSource.query(
        `SELECT count(*)::int AS n FROM dashboard_sessions WHERE user_id = $1`,
        [alice.id],
      );
      left = rows[0].n;
    }
    expect(left).toBe(0);

    // Reactivated (Entra ID sends "True" as a string): the key works again, the session stays gone.
    const back = await scim().patch(`/Users/${alice.id}`, [{ op: 'Replace', path: 'active', value: 'True' }]);
    expect(body(back).active).toBe(true);
    expect((await postCodex(w, key.key, codexBody('again'))).status).toBe(200);
    expect((await request(w.app.url).get('/api/usage/summary').set('cookie', w.alice.cookie)).status).toBe(401);
  });

  it('deletes a user as user management does: gone, keys refused, 404 afterwards', async () => {
    const user = await createUser('leaver@corp.example');
    const key = await request(w.app.url)
      .post('/api/api-keys')
      .set('cookie', w.admin)
      .send({ name: 'leaver key', ownerId: user.id })
      .expect(201);
    expect((await postCodex(w, key.body.key, codexBody('hi'))).status).not.toBe(401);
    await scim().delete(`/Users/${user.id}`).expect(204);
    expect((await postCodex(w, key.body.key, codexBody('hi'))).status).toBe(401);
    expectScimError(await scim().get(`/Users/${user.id}`), 404);
    expectScimError(await scim().delete(`/Users/${user.id}`), 404);
    expectScimError(await scim().get(`/Users/not-an-id`), 404);
    expect((await auditRows(user.id)).map((row: { action: string }) => row.action)).toEqual([
      'user.create',
      'user.delete',
    ]);
    // The last holder of users:manage stays: deactivating the only admin is refused.
    const admin = body(await scim().get('/Users?filter=' + encodeURIComponent('userName eq "admin"')));
    expectScimError(
      await scim().patch(`/Users/${admin.Resources[0].id}`, [{ op: 'replace', path: 'active', value: false }]),
      409,
    );
  });

  it('filters (userName, externalId, emails.value, active, and/or) and paginates', async () => {
    for (let i = 1; i <= 5; i++) {
      await createUser(`page${i}@corp.example`, {
        externalId: `ext-page-${i}`,
        active: i % 2 === 1,
        emails: [{ value: `page${i}@mail.example` }],
      });
    }
    const list = async (query: string) => {
      const response = await scim().get(`/Users?${query}`);
      expect(response.status).toBe(200);
      const page = body(response);
      expect(page.schemas).toEqual([LIST]);
      expect(page.itemsPerPage).toBe(page.Resources.length);
      return page;
    };
    const filter = (expression: string) => `filter=${encodeURIComponent(expression)}`;
    const names = (page: { Resources: { userName: string }[] }) => page.Resources.map((r) => r.userName);

    expect(names(await list(filter('externalId eq "ext-page-2"')))).toEqual(['page2@corp.example']);
    expect(names(await list(filter('emails.value eq "PAGE3@mail.example"')))).toEqual(['page3@corp.example']);
    expect(names(await list(filter('emails[value eq "page4@mail.example"]')))).toEqual(['page4@corp.example']);
    expect(names(await list(filter('userName sw "page" and active eq false')))).toEqual([
      'page2@corp.example',
      'page4@corp.example',
    ]);
    expect(names(await list(filter('userName eq "page1@corp.example" or externalId eq "ext-page-5"')))).toEqual([
      'page1@corp.example',
      'page5@corp.example',
    ]);
    expect((await list(filter('userName eq "nobody"'))).totalResults).toBe(0);

    const first = await list(`${filter('userName sw "page"')}&startIndex=1&count=2`);
    expect([first.totalResults, first.startIndex, first.itemsPerPage]).toEqual([5, 1, 2]);
    expect(names(first)).toEqual(['page1@corp.example', 'page2@corp.example']);
    const last = await list(`${filter('userName sw "page"')}&startIndex=5&count=2`);
    expect([last.totalResults, last.startIndex, names(last)]).toEqual([5, 5, ['page5@corp.example']]);
    const counted = await list(`${filter('userName sw "page"')}&count=0`);
    expect([counted.totalResults, counted.Resources]).toEqual([5, []]);
    // count is capped at 200; startIndex below 1 counts as 1.
    const capped = await list(`count=100000&startIndex=-4`);
    expect(capped.startIndex).toBe(1);
    expect(capped.itemsPerPage).toBeLessThanOrEqual(200);

    expectScimError(await scim().get(`/Users?${filter('userName eq')}`), 400, 'invalidFilter');
    expectScimError(await scim().get(`/Users?${filter('password eq "x"')}`), 400, 'invalidFilter');
    expectScimError(await scim().get(`/Users?${filter('active eq "yes"')}`), 400, 'invalidFilter');
    expectScimError(await scim().get(`/Users?filter=${'a'.repeat(1001)}`), 400, 'invalidFilter');
    expectScimError(await scim().get(`/Users?count=abc`), 400);
  });

  it('pushes group membership into codex-lb groups (create, PATCH add/remove, PUT, filter, delete)', async () => {
    const ann = await createUser('ann@corp.example');
    const ben = await createUser('ben@corp.example');
    const cat = await createUser('cat@corp.example');
    const created = await scim().post('/Groups', {
      schemas: [GROUP],
      displayName: 'Engineering',
      externalId: 'grp-eng',
      members: [{ value: ann.id }],
    });
    expect(created.status).toBe(201);
    const group = body(created);
    expect(group).toMatchObject({
      schemas: [GROUP],
      displayName: 'Engineering',
      externalId: 'grp-eng',
      members: [{ value: ann.id, display: 'ann@corp.example' }],
      meta: { resourceType: 'Group' },
    });
    expect(group.meta.location).toMatch(new RegExp(`/scim/v2/Groups/${group.id}$`));

    // It is a codex-lb group: the admin sees it with ann as a `member`.
    const members = await request(w.app.url).get(`/api/groups/${group.id}/members`).set('cookie', w.admin).expect(200);
    expect(members.body.items.map((m: { principalId: string; role: string }) => [m.principalId, m.role])).toEqual([
      [ann.id, 'member'],
    ]);

    await scim()
      .patch(`/Groups/${group.id}`, [{ op: 'add', path: 'members', value: [{ value: ben.id }, { value: cat.id }] }])
      .expect(200);
    await scim()
      .patch(`/Groups/${group.id}`, [{ op: 'remove', path: `members[value eq "${ann.id}"]` }])
      .expect(200);
    // Entra ID's form: the members to remove as the value.
    const afterRemove = await scim().patch(`/Groups/${group.id}`, [
      { op: 'remove', path: 'members', value: [{ value: cat.id }] },
    ]);
    expect(body(afterRemove).members.map((m: { value: string }) => m.value)).toEqual([ben.id]);
    expect(body((await scim().get(`/Users/${ben.id}`).expect(200)) as request.Response).groups).toEqual([
      expect.objectContaining({ value: group.id, display: 'Engineering' }),
    ]);

    const replaced = await scim().put(`/Groups/${group.id}`, {
      schemas: [GROUP],
      displayName: 'Engineering EU',
      externalId: 'grp-eng',
      members: [{ value: ann.id }, { value: cat.id }],
    });
    expect(body(replaced).displayName).toBe('Engineering EU');
    expect(
      body(replaced)
        .members.map((m: { value: string }) => m.value)
        .sort(),
    ).toEqual([ann.id, cat.id].sort());
    const codexMembers = await w.app.instance.dataSource.query(
      `SELECT principal_id::text AS id FROM group_members WHERE group_id = $1 ORDER BY principal_id`,
      [group.id],
    );
    expect(codexMembers.map((m: { id: string }) => m.id)).toEqual([ann.id, cat.id].sort());

    const found = body(
      await scim()
        .get('/Groups?filter=' + encodeURIComponent('displayName eq "engineering eu"'))
        .expect(200),
    );
    expect([found.schemas, found.totalResults, found.Resources[0].id]).toEqual([[LIST], 1, group.id]);
    const byExternal = body(
      await scim()
        .get('/Groups?filter=' + encodeURIComponent('externalId eq "grp-eng"'))
        .expect(200),
    );
    expect(byExternal.Resources.map((g: { id: string }) => g.id)).toEqual([group.id]);
    // Entra ID reads groups without their member lists.
    const slim = body(
      await scim()
        .get(`/Groups?excludedAttributes=members&filter=${encodeURIComponent('externalId eq "grp-eng"')}`)
        .expect(200),
    );
    expect([slim.Resources[0].id, 'members' in slim.Resources[0]]).toEqual([group.id, false]);
    const one = body(await scim().get(`/Groups/${group.id}?excludedAttributes=members`).expect(200));
    expect([one.displayName, 'members' in one]).toEqual(['Engineering EU', false]);

    expectScimError(
      await scim().patch(`/Groups/${group.id}`, [{ op: 'add', path: 'members', value: [{ value: 'nobody' }] }]),
      400,
      'invalidValue',
    );
    expect((await auditRows(group.id)).map((row: { action: string; actor_kind: string }) => row.action)).toEqual([
      'group.create',
      'group.member_add',
      'group.member_remove',
      'group.member_remove',
      'group.update',
    ]);

    await scim().delete(`/Groups/${group.id}`).expect(204);
    expectScimError(await scim().get(`/Groups/${group.id}`), 404);
    await request(w.app.url).get(`/api/groups/${group.id}`).set('cookie', w.admin).expect(404);
  });

  it("takes a member the directory removes off the group's accounts at their next request", async () => {
    const gus = await createUser('gus@corp.example');
    const group = body(
      await scim()
        .post('/Groups', { schemas: [GROUP], displayName: 'Ops', members: [{ value: gus.id }] })
        .expect(201),
    );
    const account = await addAccount(w, w.admin, 'ops-pool@example.com');
    await request(w.app.url)
      .patch(`/api/accounts/${account.id}/owner`)
      .set('cookie', w.admin)
      .send({ groupId: group.id })
      .expect(200);
    const key = await request(w.app.url)
      .post('/api/api-keys')
      .set('cookie', w.admin)
      .send({ name: 'gus key', ownerId: gus.id, groupIds: [group.id] })
      .expect(201);
    expect((await postCodex(w, key.body.key, codexBody('through the group'))).status).toBe(200);

    await scim()
      .patch(`/Groups/${group.id}`, [{ op: 'remove', path: `members[value eq "${gus.id}"]` }])
      .expect(200);
    const after = await postCodex(w, key.body.key, codexBody('no longer'));
    expect(after.status).toBe(503);
    expect(after.body.error?.code).toBe('no_accounts');
  });

  it('opens /scim/v2 to a live SCIM token only: no token, a session, an API key or a revoked token get 401', async () => {
    expectScimError(await request(w.app.url).get('/scim/v2/Users'), 401);
    expectScimError(await request(w.app.url).get('/scim/v2/Users').set('cookie', w.admin), 401);
    const adminKey = await request(w.app.url)
      .post('/api/api-keys')
      .set('cookie', w.admin)
      .send({ name: 'admin key' })
      .expect(201);
    expectScimError(await scim(adminKey.body.key).get('/Users'), 401);
    expectScimError(await scim(adminKey.body.key).post('/Users', { schemas: [USER], userName: 'sneaky' }), 401);
    expectScimError(await scim('scim-clb-' + 'x'.repeat(43)).get('/Users'), 401);

    const second = await request(w.app.url)
      .post('/api/scim-tokens')
      .set('cookie', w.admin)
      .send({ name: 'Entra ID' })
      .expect(201);
    await scim(second.body.token).get('/Users').expect(200);
    const listed = await request(w.app.url).get('/api/scim-tokens').set('cookie', w.admin).expect(200);
    const entry = listed.body.items.find((t: { id: string }) => t.id === second.body.id);
    expect(entry).toMatchObject({ name: 'Entra ID', prefix: second.body.token.slice(0, 14) });
    expect(entry.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed.body)).not.toContain(second.body.token);
    await request(w.app.url).delete(`/api/scim-tokens/${second.body.id}`).set('cookie', w.admin).expect(204);
    expectScimError(await scim(second.body.token).get('/Users'), 401);
    await request(w.app.url).delete(`/api/scim-tokens/${second.body.id}`).set('cookie', w.admin).expect(404);

    // Tokens are an admin's: a plain user is refused.
    await request(w.app.url).get('/api/scim-tokens').set('cookie', w.bob.cookie).expect(403);
    await request(w.app.url).post('/api/scim-tokens').set('cookie', w.bob.cookie).send({ name: 'x' }).expect(403);
    await request(w.app.url).post('/api/scim-tokens').set('cookie', w.admin).send({ name: '' }).expect(400);
  });

  it('answers the discovery documents and takes plain JSON too', async () => {
    const config = body(await scim().get('/ServiceProviderConfig').expect(200));
    expect(config.patch).toEqual({ supported: true });
    expect(config.filter).toEqual({ supported: true, maxResults: 200 });
    const types = body(await scim().get('/ResourceTypes').expect(200));
    expect(types.Resources.map((t: { endpoint: string }) => t.endpoint)).toEqual(['/Users', '/Groups']);
    const plain = await request(w.app.url)
      .post('/scim/v2/Users')
      .set('authorization', `Bearer ${token}`)
      .send({ schemas: [USER], userName: 'plain-json' });
    expect(plain.status).toBe(201);
    expectScimError(await scim().post('/Users', { schemas: [USER], userName: 'x' }), 400, 'invalidValue');
    expectScimError(await scim().post('/Users', { schemas: [GROUP], userName: 'wrong-schema' }), 400, 'invalidSyntax');
    const broken = await request(w.app.url)
      .post('/scim/v2/Users')
      .set('authorization', `Bearer ${token}`)
      .set('content-type', SCIM_JSON)
      .send('{"userName": ');
    expect(broken.status).toBe(400);
  });
});
