// The audit log, route by route from the route table (support/routes.ts), not by hand:
// - every mutating route (POST, PUT, PATCH, DELETE) has a fixture below that calls it
//   successfully, and that call writes exactly one audit row, with the action the fixture names
//   (matched by the request id the response carries). A mutating route without a fixture fails
//   this spec, so a new route cannot be forgotten;
// - every permissioned route called by a principal lacking its permission answers 403 and writes
//   exactly one authz.denied row naming the method, path and permission required.
import request from 'supertest';
import type { AuditAction } from '@codex-lb/shared';
import { AuditService } from '../src/modules/audit/audit.service';
import { totpCode } from '../src/modules/auth/totp';
import { createUserSession, DASHBOARD_ORIGIN, login } from './support/app';
import { startTestOp, type TestOp } from './support/oidc-op';
import { addAccount, createKey, startWorld, type World } from './support/proxy-world';
import { collectRoutes, type RouteInfo } from './support/routes';

const STEP_MS = 30_000;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface AuditRowView {
  action: string;
  outcome: string;
  reason: string | null;
  actor_id: string | null;
  target_id: string | null;
}

/**
 * How to call a mutating route successfully, and the one action it records; null for the one
 * route that changes nothing usable (a TOTP setup stays pending until confirmed, which is audited).
 */
interface Fixture {
  action: AuditAction | null;
  call(): Promise<request.Response>;
}

describe('audit log, route by route', () => {
  let world: World;
  let admin: string;
  let n = 0;
  const unique = (prefix: string) => `${prefix}-${++n}`;

  beforeAll(async () => {
    world = await startWorld({ CODEX_LB_LOGIN_FAILURES_BEFORE_BACKOFF: '100' });
    admin = world.admin;
  });
  afterAll(async () => {
    await world.close();
    await op?.close();
  });

  /** An identity provider backed by a real OpenID provider, made once (test connection, linking). */
  let op: TestOp | undefined;
  let idp: { id: string; slug: string } | null = null;
  async function identityProvider(): Promise<{ id: string; slug: string }> {
    if (idp) return idp;
    op = await startTestOp([`${DASHBOARD_ORIGIN}/api/dashboard-auth/oidc/aud-idp/callback`]);
    const created = await as(admin)
      .post('/api/identity-providers', {
        slug: 'aud-idp',
        name: 'Audit IdP',
        issuer: op.issuer,
        clientId: op.clientId,
        clientSecret: op.clientSecret,
      })
      .expect(201);
    idp = { id: created.body.id, slug: 'aud-idp' };
    return idp;
  }
  const newProvider = async () =>
    (
      await as(admin)
        .post('/api/identity-providers', {
          slug: unique('aud-p'),
          name: 'Audit provider',
          issuer: 'https://idp.example.com',
          clientId: 'codex-lb',
        })
        .expect(201)
    ).body.id as string;

  const http = () => request(world.app.url);
  const as = (cookie: string) => ({
    post: (path: string, body?: object) => http().post(path).set('cookie', cookie).send(body),
    put: (path: string, body?: object) => http().put(path).set('cookie', cookie).send(body),
    patch: (path: string, body?: object) => http().patch(path).set('cookie', cookie).send(body),
    delete: (path: string, body?: object) => http().delete(path).set('cookie', cookie).send(body),
  });

  async function rowsOf(response: request.Response): Promise<AuditRowView[]> {
    await world.app.instance.app.get(AuditService).flush();
    const requestId = response.headers['x-request-id'] as string | undefined;
    expect(requestId).toBeTruthy();
    return world.app.instance.dataSource.query(
      `SELECT action, outcome, reason, actor_id, target_id FROM audit_events WHERE request_id = $1 ORDER BY id`,
      [requestId],
    );
  }

  async function groupOf(cookie: string): Promise<string> {
    const slug = unique('aud-group');
    return (await as(cookie).post('/api/groups', { slug, name: slug }).expect(201)).body.id;
  }

  /** SCIM (/scim/v2) calls with a SCIM token; the token is created once. */
  let scimSecret: string | null = null;
  async function scimToken(): Promise<string> {
    scimSecret ??= (await as(admin).post('/api/scim-tokens', { name: 'audit directory' }).expect(201)).body.token;
    return scimSecret!;
  }
  const scim = (token: string) => ({
    post: (path: string, body: object) => http().post(path).set('authorization', `Bearer ${token}`).send(body),
    put: (path: string, body: object) => http().put(path).set('authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) => http().patch(path).set('authorization', `Bearer ${token}`).send(body),
    delete: (path: string) => http().delete(path).set('authorization', `Bearer ${token}`),
  });
  async function scimUser(): Promise<string> {
    const created = await scim(await scimToken()).post('/scim/v2/Users', { userName: unique('aud-scim-u') });
    expect(created.status).toBe(201);
    return JSON.parse(created.text).id;
  }
  async function scimGroup(): Promise<string> {
    const created = await scim(await scimToken()).post('/scim/v2/Groups', { displayName: unique('Aud SCIM g') });
    expect(created.status).toBe(201);
    return JSON.parse(created.text).id;
  }

  async function enrolled(): Promise<{ id: string; cookie: string; password: string; secret: string }> {
    const user = await createUserSession(world.app, admin, unique('aud-mfa'));
    const setup = await as(user.cookie).post('/api/me/mfa/totp/setup', { password: user.password }).expect(200);
    await as(user.cookie)
      .post('/api/me/mfa/totp/confirm', { code: totpCode(setup.body.secret) })
      .expect(200);
    // Enrolment keeps the session it was done in; later steps use the next time step (replay-safe).
    return { ...user, secret: setup.body.secret };
  }

  const FIXTURES: Record<string, Fixture> = {
    'POST /api/dashboard-auth/password/login': {
      action: 'auth.login',
      call: () =>
        http().post('/api/dashboard-auth/password/login').send({ username: 'alice', password: 'alice-final-pw' }),
    },
    'POST /api/dashboard-auth/mfa/verify': {
      action: 'auth.login',
      async call() {
        const user = await enrolled();
        const username = (await http().get('/api/dashboard-auth/session').set('cookie', user.cookie)).body.user
          .username;
        const started = await http()
          .post('/api/dashboard-auth/password/login')
          .send({ username, password: user.password });
        const pending = ([] as string[])
          .concat(started.headers['set-cookie'] ?? [])
          .find((c) => c.startsWith('codex_lb_mfa_pending='))!
          .split(';')[0];
        return http()
          .post('/api/dashboard-auth/mfa/verify')
          .set('cookie', pending)
          .send({ code: totpCode(user.secret, Date.now() + STEP_MS) });
      },
    },
    'POST /api/dashboard-auth/logout': {
      action: 'auth.logout',
      async call() {
        const cookie = await login(world.app, 'alice', 'alice-final-pw');
        return http().post('/api/dashboard-auth/logout').set('cookie', cookie).send({});
      },
    },
    'POST /api/dashboard-auth/password/change': {
      action: 'auth.password_change',
      async call() {
        const user = await createUserSession(world.app, admin, unique('aud-pw'));
        return as(user.cookie).post('/api/dashboard-auth/password/change', {
          currentPassword: user.password,
          newPassword: `${user.password}-again`,
        });
      },
    },
    'POST /api/me/mfa/totp/setup': {
      action: null,
      async call() {
        const user = await createUserSession(world.app, admin, unique('aud-setup'));
        return as(user.cookie).post('/api/me/mfa/totp/setup', { password: user.password });
      },
    },
    'POST /api/me/mfa/totp/confirm': {
      action: 'auth.mfa_enrol',
      async call() {
        const user = await createUserSession(world.app, admin, unique('aud-confirm'));
        const setup = await as(user.cookie).post('/api/me/mfa/totp/setup', { password: user.password }).expect(200);
        return as(user.cookie).post('/api/me/mfa/totp/confirm', { code: totpCode(setup.body.secret) });
      },
    },
    'DELETE /api/me/mfa/totp': {
      action: 'auth.mfa_disable',
      async call() {
        const user = await enrolled();
        return as(user.cookie).delete('/api/me/mfa/totp', { code: totpCode(user.secret, Date.now() + STEP_MS) });
      },
    },
    'POST /api/me/mfa/recovery-codes': {
      action: 'auth.mfa_recovery_regenerate',
      async call() {
        const user = await enrolled();
        return as(user.cookie).post('/api/me/mfa/recovery-codes', {
          code: totpCode(user.secret, Date.now() + STEP_MS),
        });
      },
    },
    'DELETE /api/users/:id/mfa': {
      action: 'user.mfa_reset',
      async call() {
        const user = await enrolled();
        return as(admin).delete(`/api/users/${user.id}/mfa`);
      },
    },
    'POST /api/users': {
      action: 'user.create',
      call: () =>
        as(admin).post('/api/users', { username: unique('aud-user'), password: 'aud-user-pw-1', role: 'user' }),
    },
    'PATCH /api/users/:id': {
      action: 'user.update',
      async call() {
        const user = await createUserSession(world.app, admin, unique('aud-patch'));
        return as(admin).patch(`/api/users/${user.id}`, { role: 'viewer' });
      },
    },
    'DELETE /api/users/:id': {
      action: 'user.delete',
      async call() {
        const user = await createUserSession(world.app, admin, unique('aud-del'));
        return as(admin).delete(`/api/users/${user.id}`);
      },
    },
    'POST /api/roles': {
      action: 'role.create',
      call: () =>
        as(admin).post('/api/roles', { slug: unique('aud-role'), name: 'Audit role', permissions: ['usage:read'] }),
    },
    'PATCH /api/roles/:id': {
      action: 'role.update',
      async call() {
        const role = await as(admin)
          .post('/api/roles', { slug: unique('aud-role'), name: 'Audit role', permissions: ['usage:read'] })
          .expect(201);
        return as(admin).patch(`/api/roles/${role.body.id}`, { name: 'Audit role, renamed' });
      },
    },
    'DELETE /api/roles/:id': {
      action: 'role.delete',
      async call() {
        const role = await as(admin)
          .post('/api/roles', { slug: unique('aud-role'), name: 'Audit role', permissions: ['usage:read'] })
          .expect(201);
        return as(admin).delete(`/api/roles/${role.body.id}`);
      },
    },
    'POST /api/accounts/import': {
      action: 'account.create',
      async call() {
        const seat = world.fake.addAccount({ email: `${unique('aud-import')}@example.com` });
        return as(world.alice.cookie).post('/api/accounts/import', world.fake.authJsonFor(seat));
      },
    },
    'PATCH /api/accounts/:id': {
      action: 'account.update',
      async call() {
        const account = await addAccount(world, world.alice.cookie, `${unique('aud-alias')}@example.com`);
        return as(world.alice.cookie).patch(`/api/accounts/${account.id}`, { alias: 'renamed' });
      },
    },
    'POST /api/accounts/:id/pause': {
      action: 'account.pause',
      async call() {
        const account = await addAccount(world, world.alice.cookie, `${unique('aud-pause')}@example.com`);
        return as(world.alice.cookie).post(`/api/accounts/${account.id}/pause`);
      },
    },
    'POST /api/accounts/:id/resume': {
      action: 'account.resume',
      async call() {
        const account = await addAccount(world, world.alice.cookie, `${unique('aud-resume')}@example.com`);
        await as(world.alice.cookie).post(`/api/accounts/${account.id}/pause`).expect(200);
        return as(world.alice.cookie).post(`/api/accounts/${account.id}/resume`);
      },
    },
    'POST /api/accounts/:id/refresh-usage': {
      action: 'account.refresh_usage',
      async call() {
        const account = await addAccount(world, world.alice.cookie, `${unique('aud-usage')}@example.com`);
        return as(world.alice.cookie).post(`/api/accounts/${account.id}/refresh-usage`);
      },
    },
    'DELETE /api/accounts/:id': {
      action: 'account.delete',
      async call() {
        const account = await addAccount(world, world.alice.cookie, `${unique('aud-delacc')}@example.com`);
        return as(world.alice.cookie).delete(`/api/accounts/${account.id}`);
      },
    },
    'PATCH /api/accounts/:id/owner': {
      action: 'account.assign_owner',
      async call() {
        const account = await addAccount(world, world.alice.cookie, `${unique('aud-move')}@example.com`);
        return as(admin).patch(`/api/accounts/${account.id}/owner`, { userId: world.bob.id });
      },
    },
    'PUT /api/accounts/:id/shares/:groupId': {
      action: 'account.share',
      async call() {
        const account = await addAccount(world, world.alice.cookie, `${unique('aud-share')}@example.com`);
        const groupId = await groupOf(world.alice.cookie);
        return as(world.alice.cookie).put(`/api/accounts/${account.id}/shares/${groupId}`);
      },
    },
    'DELETE /api/accounts/:id/shares/:groupId': {
      action: 'account.unshare',
      async call() {
        const account = await addAccount(world, world.alice.cookie, `${unique('aud-unshare')}@example.com`);
        const groupId = await groupOf(world.alice.cookie);
        await as(world.alice.cookie).put(`/api/accounts/${account.id}/shares/${groupId}`).expect(200);
        return as(world.alice.cookie).delete(`/api/accounts/${account.id}/shares/${groupId}`);
      },
    },
    'POST /api/oauth/start': {
      action: 'account.oauth_start',
      call: () => as(world.alice.cookie).post('/api/oauth/start', { flow: 'browser' }),
    },
    'POST /api/oauth/manual-callback': {
      action: 'account.create',
      async call() {
        const seat = world.fake.addAccount({ email: `${unique('aud-oauth')}@example.com` });
        world.fake.nextLoginSeat(seat);
        const start = await as(world.bob.cookie).post('/api/oauth/start', { flow: 'browser' }).expect(201);
        const redirect = await fetch(start.body.authorizationUrl, { redirect: 'manual' });
        return as(world.bob.cookie).post('/api/oauth/manual-callback', {
          flowId: start.body.flowId,
          callbackUrl: redirect.headers.get('location'),
        });
      },
    },
    'POST /api/groups': {
      action: 'group.create',
      call: () => as(world.alice.cookie).post('/api/groups', { slug: unique('aud-g'), name: 'Audit group' }),
    },
    'PATCH /api/groups/:id': {
      action: 'group.update',
      async call() {
        return as(world.alice.cookie).patch(`/api/groups/${await groupOf(world.alice.cookie)}`, { name: 'Renamed' });
      },
    },
    'DELETE /api/groups/:id': {
      action: 'group.delete',
      async call() {
        return as(world.alice.cookie).delete(`/api/groups/${await groupOf(world.alice.cookie)}`);
      },
    },
    'PUT /api/groups/:id/members/:principalId': {
      action: 'group.member_add',
      async call() {
        const groupId = await groupOf(world.alice.cookie);
        return as(world.alice.cookie).put(`/api/groups/${groupId}/members/${world.bob.id}`, { role: 'member' });
      },
    },
    'DELETE /api/groups/:id/members/:principalId': {
      action: 'group.member_remove',
      async call() {
        const groupId = await groupOf(world.alice.cookie);
        await as(world.alice.cookie)
          .put(`/api/groups/${groupId}/members/${world.bob.id}`, { role: 'member' })
          .expect(200);
        return as(world.alice.cookie).delete(`/api/groups/${groupId}/members/${world.bob.id}`);
      },
    },
    'POST /api/api-keys': {
      action: 'key.create',
      call: () => as(world.alice.cookie).post('/api/api-keys', { name: 'audit key' }),
    },
    'PATCH /api/api-keys/:id': {
      action: 'key.update',
      async call() {
        const key = await createKey(world, world.alice.cookie);
        return as(world.alice.cookie).patch(`/api/api-keys/${key.id}`, { name: 'renamed key' });
      },
    },
    'POST /api/api-keys/:id/regenerate': {
      action: 'key.rotate',
      async call() {
        const key = await createKey(world, world.alice.cookie);
        return as(world.alice.cookie).post(`/api/api-keys/${key.id}/regenerate`);
      },
    },
    'DELETE /api/api-keys/:id': {
      action: 'key.revoke',
      async call() {
        const key = await createKey(world, world.alice.cookie);
        return as(world.alice.cookie).delete(`/api/api-keys/${key.id}`);
      },
    },
    'POST /api/service-accounts': {
      action: 'service_account.create',
      async call() {
        const groupId = await groupOf(world.alice.cookie);
        return as(world.alice.cookie).post('/api/service-accounts', { name: unique('aud-bot'), groupId });
      },
    },
    'PATCH /api/service-accounts/:id': {
      action: 'service_account.update',
      async call() {
        const bot = await as(admin)
          .post('/api/service-accounts', { name: unique('aud-bot') })
          .expect(201);
        return as(admin).patch(`/api/service-accounts/${bot.body.id}`, { name: unique('aud-bot-renamed') });
      },
    },
    'DELETE /api/service-accounts/:id': {
      action: 'service_account.delete',
      async call() {
        const bot = await as(admin)
          .post('/api/service-accounts', { name: unique('aud-bot') })
          .expect(201);
        return as(admin).delete(`/api/service-accounts/${bot.body.id}`);
      },
    },
    'POST /api/service-accounts/:id/disable': {
      action: 'service_account.update',
      async call() {
        const bot = await as(admin)
          .post('/api/service-accounts', { name: unique('aud-bot') })
          .expect(201);
        return as(admin).post(`/api/service-accounts/${bot.body.id}/disable`);
      },
    },
    'POST /api/service-accounts/:id/keys': {
      action: 'service_account.key_create',
      async call() {
        const bot = await as(admin)
          .post('/api/service-accounts', { name: unique('aud-bot') })
          .expect(201);
        return as(admin).post(`/api/service-accounts/${bot.body.id}/keys`, { name: 'bot key' });
      },
    },
    'POST /api/identity-providers': {
      action: 'identity_provider.create',
      call: () =>
        as(admin).post('/api/identity-providers', {
          slug: unique('aud-p'),
          name: 'Audit provider',
          issuer: 'https://idp.example.com',
          clientId: 'codex-lb',
          clientSecret: 'audit-client-secret',
        }),
    },
    'PATCH /api/identity-providers/:id': {
      action: 'identity_provider.update',
      call: async () => as(admin).patch(`/api/identity-providers/${await newProvider()}`, { name: 'Renamed' }),
    },
    'DELETE /api/identity-providers/:id': {
      action: 'identity_provider.delete',
      call: async () => as(admin).delete(`/api/identity-providers/${await newProvider()}`),
    },
    'POST /api/identity-providers/:id/test': {
      action: 'identity_provider.test',
      call: async () => as(admin).post(`/api/identity-providers/${(await identityProvider()).id}/test`),
    },
    'POST /api/identity-providers/:id/invitations': {
      action: 'identity_provider.invite',
      call: async () =>
        as(admin).post(`/api/identity-providers/${await newProvider()}/invitations`, { email: 'aud@example.com' }),
    },
    'DELETE /api/identity-providers/:id/invitations/:invitationId': {
      action: 'identity_provider.uninvite',
      async call() {
        const id = await newProvider();
        const invitation = await as(admin)
          .post(`/api/identity-providers/${id}/invitations`, { email: 'aud@example.com' })
          .expect(201);
        return as(admin).delete(`/api/identity-providers/${id}/invitations/${invitation.body.id}`);
      },
    },
    'PATCH /api/auth-settings': {
      action: 'auth_settings.update',
      call: () => as(admin).patch('/api/auth-settings', { localLogin: 'everyone' }),
    },
    // Starting a link changes nothing usable: the link is audited when the provider answers.
    'POST /api/me/identities/:slug/link': {
      action: null,
      call: async () => as(admin).post(`/api/me/identities/${(await identityProvider()).slug}/link`),
    },
    'DELETE /api/me/identities/:id': {
      action: 'identity.unlink',
      async call() {
        const user = await createUserSession(world.app, admin, unique('aud-idn'));
        const { id } = await identityProvider();
        const rows: { id: string }[] = await world.app.instance.dataSource.query(
          `INSERT INTO user_identities (user_id, provider_id, issuer, subject) VALUES ($1, $2, $3, $4) RETURNING id`,
          [user.id, id, op!.issuer, unique('aud-sub')],
        );
        return as(user.cookie).delete(`/api/me/identities/${rows[0].id}`);
      },
    },
    'POST /api/scim-tokens': {
      action: 'scim_token.create',
      call: () => as(admin).post('/api/scim-tokens', { name: unique('aud-scim') }),
    },
    'DELETE /api/scim-tokens/:id': {
      action: 'scim_token.revoke',
      async call() {
        const created = await as(admin)
          .post('/api/scim-tokens', { name: unique('aud-scim') })
          .expect(201);
        return as(admin).delete(`/api/scim-tokens/${created.body.id}`);
      },
    },
    'POST /scim/v2/Users': {
      action: 'user.create',
      async call() {
        return scim(await scimToken()).post('/scim/v2/Users', { userName: unique('aud-scim-user') });
      },
    },
    'PUT /scim/v2/Users/:id': {
      action: 'user.update',
      async call() {
        const id = await scimUser();
        return scim(await scimToken()).put(`/scim/v2/Users/${id}`, { userName: unique('aud-scim-put') });
      },
    },
    'PATCH /scim/v2/Users/:id': {
      action: 'user.update',
      async call() {
        const id = await scimUser();
        return scim(await scimToken()).patch(`/scim/v2/Users/${id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'active', value: false }],
        });
      },
    },
    'DELETE /scim/v2/Users/:id': {
      action: 'user.delete',
      async call() {
        const id = await scimUser();
        return scim(await scimToken()).delete(`/scim/v2/Users/${id}`);
      },
    },
    'POST /scim/v2/Groups': {
      action: 'group.create',
      async call() {
        return scim(await scimToken()).post('/scim/v2/Groups', { displayName: unique('Aud SCIM group') });
      },
    },
    'PUT /scim/v2/Groups/:id': {
      action: 'group.update',
      async call() {
        const id = await scimGroup();
        return scim(await scimToken()).put(`/scim/v2/Groups/${id}`, { displayName: unique('Aud SCIM renamed') });
      },
    },
    'PATCH /scim/v2/Groups/:id': {
      action: 'group.member_add',
      async call() {
        const id = await scimGroup();
        return scim(await scimToken()).patch(`/scim/v2/Groups/${id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: 'members', value: [{ value: await scimUser() }] }],
        });
      },
    },
    'DELETE /scim/v2/Groups/:id': {
      action: 'group.delete',
      async call() {
        return scim(await scimToken()).delete(`/scim/v2/Groups/${await scimGroup()}`);
      },
    },
  };

  function nestRoutes(): RouteInfo[] {
    return collectRoutes(world.app.instance.app).filter((route) => !route.apiKey);
  }

  it('has a fixture for every mutating route in the route table', () => {
    const mutating = nestRoutes()
      .filter((route) => MUTATING.has(route.method))
      .map((route) => route.key)
      .sort();
    expect(mutating.length).toBeGreaterThan(30);
    expect(mutating.filter((key) => !FIXTURES[key])).toEqual([]);
    // And no fixture for a route that is gone.
    expect(Object.keys(FIXTURES).filter((key) => !mutating.includes(key))).toEqual([]);
  });

  it('writes exactly one audit row, with the fixture’s action, for each successful mutation', async () => {
    const mutating = nestRoutes().filter((route) => MUTATING.has(route.method) && FIXTURES[route.key]);
    const results: [string, number, string[]][] = [];
    for (const route of mutating) {
      const fixture = FIXTURES[route.key];
      const response = await fixture.call();
      const rows = await rowsOf(response);
      results.push([route.key, response.status, rows.map((row) => `${row.action}:${row.outcome}`)]);
    }
    const expected = mutating.map((route): [string, number, string[]] => {
      const got = results.find(([key]) => key === route.key)!;
      const action = FIXTURES[route.key].action;
      return [route.key, got[1] >= 200 && got[1] < 300 ? got[1] : -1, action ? [`${action}:success`] : []];
    });
    expect(results).toEqual(expected);
  }, 240_000);

  it('writes one authz.denied row for each permissioned route called without its permission', async () => {
    // A key that carries only the proxy scope holds no management permission at all.
    const key = (await createKey(world, world.alice.cookie, { name: 'proxy only', scopes: ['proxy'] })).key;
    const routes = nestRoutes().filter((route) => !route.isPublic && route.permission);
    const results: [string, number, string[]][] = [];
    const expected: [string, number, string[]][] = [];
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const route of routes) {
      const path = route.path.replace(/:[a-zA-Z]+/g, missing);
      const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      const call = http()[method](path).set('authorization', `Bearer ${key}`);
      const response = await (method === 'get' ? call : call.send({}));
      const rows = await rowsOf(response);
      results.push([
        route.key,
        response.status,
        rows.map(
          (row) =>
            `${row.action}:${row.outcome}:${row.actor_id}:${row.reason?.startsWith(`${route.method} ${path} requires ${route.permission}`)}`,
        ),
      ]);
      expected.push([route.key, 403, [`authz.denied:denied:${world.alice.id}:true`]]);
    }
    expect(results).toEqual(expected);
  }, 240_000);

  it('writes one authz.denied row for each proxy route called by a key without the proxy scope', async () => {
    const key = (await createKey(world, world.alice.cookie, { name: 'no proxy', scopes: ['api-keys:read'] })).key;
    const routes = collectRoutes(world.app.instance.app).filter((route) => route.apiKey);
    expect(routes.length).toBeGreaterThan(5);
    const results: [string, number, string[]][] = [];
    for (const route of routes) {
      const method = route.method.toLowerCase() as 'get' | 'post';
      const call = http()[method](route.path).set('authorization', `Bearer ${key}`);
      const response = await (route.method === 'GET' ? call : call.send({}));
      const rows = await rowsOf(response);
      results.push([route.key, response.status, rows.map((row) => `${row.action}:${row.actor_id}`)]);
    }
    expect(results).toEqual(
      routes.map((route) => [route.key, 403, [`authz.denied:${world.alice.id}`]] as [string, number, string[]]),
    );
  }, 120_000);

  it('records a session’s 403s the same way, with the session as the actor', async () => {
    const viewer = await createUserSession(world.app, admin, unique('aud-viewer'));
    await as(admin).patch(`/api/users/${viewer.id}`, { role: 'viewer' }).expect(200);
    const response = await as(viewer.cookie).post('/api/api-keys', { name: 'not allowed' });
    expect(response.status).toBe(403);
    const rows = await rowsOf(response);
    expect(rows).toEqual([expect.objectContaining({ action: 'authz.denied', outcome: 'denied', actor_id: viewer.id })]);
    expect(rows[0].reason).toContain('POST /api/api-keys requires api-keys:write');

    // A service's own refusal (a group member changing what only its owners may) is recorded too.
    const groupId = await groupOf(world.alice.cookie);
    await as(world.alice.cookie).put(`/api/groups/${groupId}/members/${world.bob.id}`, { role: 'member' }).expect(200);
    const refused = await as(world.bob.cookie).patch(`/api/groups/${groupId}`, { name: 'Taken over' });
    expect(refused.status).toBe(403);
    const denied = await rowsOf(refused);
    expect(denied).toEqual([expect.objectContaining({ action: 'authz.denied', actor_id: world.bob.id })]);
    expect(denied[0].reason).toContain(`PATCH /api/groups/${groupId} requires groups:write`);
  });
});
