// Walks every route from Nest's metadata: none may lack an auth declaration, each declares the
// permission the table below says, and each one answers as that permission decides:
// - anonymous callers get 401 (public routes answer regardless);
// - each preset role (admin, operator, viewer, user) is allowed exactly the routes whose
//   permission its code-defined list holds, and gets 403 on the rest;
// - a synthetic role per permission P (a user holding only P): every route needing P answers
//   non-403, every other permissioned route 403;
// - API keys: allowed what their scopes and their owner's role both allow, never user or role
//   management;
// - SCIM routes (/scim/v2, `scim-token` in the table): public to the dashboard's guard and opened
//   only by a live SCIM token; anonymous callers, every session and every API key get 401;
// - another owner's object (account, key, group, service account, request log) answers exactly
//   like a missing one to every role that does not see all owners.
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import {
  API_KEY_FORBIDDEN_SCOPES,
  PERMISSIONS,
  PRESET_ROLES,
  permissionsForRole,
  type Permission,
} from '@codex-lb/shared';
import { AccessGuard, KeyAuthenticator, SessionAuthenticator } from '../src/common/access.guard';
import { loadSettings, SETTINGS } from '../src/config/settings';
import { AuditService } from '../src/modules/audit/audit.service';
import { createUserSession } from './support/app';
import { addAccount, codexBody, createKey, flushLogs, postCodex, startWorld, type World } from './support/proxy-world';
import { collectRoutes, undeclaredRoutes, type RouteInfo } from './support/routes';

/** The permission each route requires. A new route must be added here, or this spec fails. */
const EXPECTED: Record<string, Permission | 'public' | 'scim-token'> = {
  'GET /api/health': 'public',
  'GET /api/health/live': 'public',
  'GET /api/health/ready': 'public',
  'GET /metrics': 'public',
  'GET /api/docs': 'public',
  'GET /api/docs/openapi.json': 'public',
  'GET /api/docs/assets/:file': 'public',
  'POST /api/dashboard-auth/password/login': 'public',
  'POST /api/dashboard-auth/mfa/verify': 'public',
  'GET /api/dashboard-auth/session': 'public',
  'POST /api/dashboard-auth/logout': 'public',
  'POST /api/dashboard-auth/password/change': 'profile:write',
  'GET /api/dashboard-auth/providers': 'public',
  'GET /api/dashboard-auth/oidc/:slug/start': 'public',
  'GET /api/dashboard-auth/oidc/:slug/callback': 'public',
  'GET /api/identity-providers': 'identity-providers:manage',
  'POST /api/identity-providers': 'identity-providers:manage',
  'GET /api/identity-providers/:id': 'identity-providers:manage',
  'PATCH /api/identity-providers/:id': 'identity-providers:manage',
  'DELETE /api/identity-providers/:id': 'identity-providers:manage',
  'POST /api/identity-providers/:id/test': 'identity-providers:manage',
  'GET /api/identity-providers/:id/invitations': 'identity-providers:manage',
  'POST /api/identity-providers/:id/invitations': 'identity-providers:manage',
  'DELETE /api/identity-providers/:id/invitations/:invitationId': 'identity-providers:manage',
  'GET /api/auth-settings': 'identity-providers:manage',
  'PATCH /api/auth-settings': 'identity-providers:manage',
  'GET /api/me/identities': 'profile:write',
  'POST /api/me/identities/:slug/link': 'profile:write',
  'DELETE /api/me/identities/:id': 'profile:write',
  'GET /api/me/mfa': 'profile:write',
  'POST /api/me/mfa/totp/setup': 'profile:write',
  'POST /api/me/mfa/totp/confirm': 'profile:write',
  'DELETE /api/me/mfa/totp': 'profile:write',
  'POST /api/me/mfa/recovery-codes': 'profile:write',
  'GET /api/users': 'users:read',
  'POST /api/users': 'users:manage',
  'GET /api/users/:id': 'users:read',
  'PATCH /api/users/:id': 'users:manage',
  'DELETE /api/users/:id': 'users:manage',
  'DELETE /api/users/:id/mfa': 'users:manage',
  'GET /api/permissions': 'roles:read',
  'GET /api/roles': 'roles:read',
  'POST /api/roles': 'roles:manage',
  'GET /api/roles/:id': 'roles:read',
  'GET /api/roles/:id/holders': 'roles:read',
  'PATCH /api/roles/:id': 'roles:manage',
  'DELETE /api/roles/:id': 'roles:manage',
  'GET /api/audit-events': 'audit:read',
  'GET /api/audit-events/export': 'audit:read',
  'GET /api/audit-events/verify': 'audit:read',
  'GET /api/audit-events/:id': 'audit:read',
  'GET /api/accounts': 'accounts:read',
  'POST /api/accounts/import': 'accounts:write',
  'GET /api/accounts/:id': 'accounts:read',
  'PATCH /api/accounts/:id': 'accounts:write',
  'POST /api/accounts/:id/pause': 'accounts:write',
  'POST /api/accounts/:id/resume': 'accounts:write',
  'POST /api/accounts/:id/refresh-usage': 'accounts:write',
  'DELETE /api/accounts/:id': 'accounts:write',
  'PATCH /api/accounts/:id/owner': 'accounts:write',
  'PUT /api/accounts/:id/shares/:groupId': 'accounts:write',
  'DELETE /api/accounts/:id/shares/:groupId': 'accounts:write',
  'GET /api/groups': 'groups:read',
  'POST /api/groups': 'groups:write',
  'GET /api/groups/:id': 'groups:read',
  'PATCH /api/groups/:id': 'groups:write',
  'DELETE /api/groups/:id': 'groups:write',
  'GET /api/groups/:id/members': 'groups:read',
  'PUT /api/groups/:id/members/:principalId': 'groups:write',
  'DELETE /api/groups/:id/members/:principalId': 'groups:write',
  'GET /api/groups/:id/impact': 'groups:read',
  'POST /api/oauth/start': 'accounts:write',
  'GET /api/oauth/status/:flowId': 'accounts:write',
  'POST /api/oauth/manual-callback': 'accounts:write',
  'GET /api/api-keys': 'api-keys:read',
  'POST /api/api-keys': 'api-keys:write',
  'GET /api/api-keys/:id': 'api-keys:read',
  'GET /api/api-keys/:id/effective-accounts': 'api-keys:read',
  'PATCH /api/api-keys/:id': 'api-keys:write',
  'POST /api/api-keys/:id/regenerate': 'api-keys:write',
  'DELETE /api/api-keys/:id': 'api-keys:write',
  'GET /api/request-logs': 'usage:read',
  'GET /api/request-logs/export': 'usage:read',
  'GET /api/request-logs/:id': 'usage:read',
  'GET /api/usage/summary': 'usage:read',
  'GET /api/usage/timeseries': 'usage:read',
  'GET /api/dashboard/overview': 'usage:read',
  'GET /api/service-accounts': 'service-accounts:read',
  'POST /api/service-accounts': 'service-accounts:write',
  'GET /api/service-accounts/:id': 'service-accounts:read',
  'PATCH /api/service-accounts/:id': 'service-accounts:write',
  'DELETE /api/service-accounts/:id': 'service-accounts:write',
  'POST /api/service-accounts/:id/disable': 'service-accounts:write',
  'GET /api/service-accounts/:id/keys': 'service-accounts:read',
  'POST /api/service-accounts/:id/keys': 'service-accounts:write',
  'GET /api/scim-tokens': 'scim-tokens:manage',
  'POST /api/scim-tokens': 'scim-tokens:manage',
  'DELETE /api/scim-tokens/:id': 'scim-tokens:manage',
  'GET /scim/v2/ServiceProviderConfig': 'scim-token',
  'GET /scim/v2/ResourceTypes': 'scim-token',
  'GET /scim/v2/Users': 'scim-token',
  'POST /scim/v2/Users': 'scim-token',
  'GET /scim/v2/Users/:id': 'scim-token',
  'PUT /scim/v2/Users/:id': 'scim-token',
  'PATCH /scim/v2/Users/:id': 'scim-token',
  'DELETE /scim/v2/Users/:id': 'scim-token',
  'GET /scim/v2/Groups': 'scim-token',
  'POST /scim/v2/Groups': 'scim-token',
  'GET /scim/v2/Groups/:id': 'scim-token',
  'PUT /scim/v2/Groups/:id': 'scim-token',
  'PATCH /scim/v2/Groups/:id': 'scim-token',
  'DELETE /scim/v2/Groups/:id': 'scim-token',
};

const FORBIDDEN_TO_KEYS: readonly string[] = API_KEY_FORBIDDEN_SCOPES;

/**
 * The one scope that opens a route to an API key (sent with no cookie) is its permission;
 * `never`: no key reaches it, whatever its scopes (user, role and owner management, the profile).
 */
function keyScope(permission: Permission): Permission | 'never' {
  return FORBIDDEN_TO_KEYS.includes(permission) ? 'never' : permission;
}

/** Every scope a key may carry. */
const CARRIABLE_SCOPES = ['proxy', ...PERMISSIONS.filter((p) => !FORBIDDEN_TO_KEYS.includes(p))];

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

/** Which object a route's `:id` names, for the "another owner's object" cases. */
const OWNED_PREFIXES = ['accounts', 'api-keys', 'groups', 'service-accounts', 'request-logs'] as const;
type Owned = (typeof OWNED_PREFIXES)[number];

function ownedResource(route: RouteInfo): Owned | null {
  const match = /^\/api\/([a-z-]+)\/:id(\/|$)/.exec(route.path);
  return match && (OWNED_PREFIXES as readonly string[]).includes(match[1]) ? (match[1] as Owned) : null;
}

describe('route access meta-spec', () => {
  let world: World;
  let adminCookie: string;
  /** A session per preset role (admin is the bootstrap admin). */
  const presets = new Map<string, string>();
  /** A session per permission: a user whose custom role holds only that permission. */
  const synthetic = new Map<Permission, string>();
  /** Objects bob (a plain user) owns, by the route prefix that names them. */
  const foreign = {} as Record<Owned, string>;

  beforeAll(async () => {
    world = await startWorld();
    adminCookie = world.admin;
    presets.set('admin', adminCookie);
    for (const preset of PRESET_ROLES.filter((role) => role.slug !== 'admin')) {
      presets.set(preset.slug, await sessionWithRole(`meta-${preset.slug}`, preset.slug));
    }
    for (const [index, permission] of PERMISSIONS.entries()) {
      const slug = `only-${permission.replace(':', '-')}`;
      await as(adminCookie).post('/api/roles', { slug, name: `Only ${permission}`, permissions: [permission] });
      synthetic.set(permission, await sessionWithRole(`meta-p${index}`, slug));
    }

    // bob's own objects: an account, a key that has made a request, a group and its service account.
    const bob = world.bob.cookie;
    foreign.accounts = (await addAccount(world, bob, 'bob-meta@example.com')).id;
    const key = await createKey(world, bob, { name: 'bob meta key' });
    foreign['api-keys'] = key.id;
    expect((await postCodex(world, key.key, codexBody('hello'))).status).toBe(200);
    await flushLogs(world);
    const logs = await as(bob).get('/api/request-logs').expect(200);
    foreign['request-logs'] = logs.body.items[0].id;
    foreign.groups = (await as(bob).post('/api/groups', { slug: 'bobs-meta', name: 'Bob meta' }).expect(201)).body.id;
    foreign['service-accounts'] = (
      await as(bob).post('/api/service-accounts', { name: 'bob-meta-bot', groupId: foreign.groups }).expect(201)
    ).body.id;
  });
  afterAll(() => world.close());

  function as(cookie: string) {
    return {
      get: (path: string) => request(world.app.url).get(path).set('cookie', cookie),
      post: (path: string, body?: object) => request(world.app.url).post(path).set('cookie', cookie).send(body),
      patch: (path: string, body?: object) => request(world.app.url).patch(path).set('cookie', cookie).send(body),
    };
  }

  /** A user holding `role` (their initial password already changed), signed in. */
  async function sessionWithRole(username: string, role: string): Promise<string> {
    const user = await createUserSession(world.app, adminCookie, username);
    await as(adminCookie).patch(`/api/users/${user.id}`, { role }).expect(200);
    return user.cookie;
  }

  /** A key with these scopes, owned by the admin or (ownerId) another user. */
  async function keyWith(scopes: string[], ownerId?: string): Promise<string> {
    const response = await request(world.app.url)
      .post('/api/api-keys')
      .set('cookie', adminCookie)
      .send({ name: `meta ${scopes.join(' ')}`.slice(0, 100), scopes, ...(ownerId ? { ownerId } : {}) })
      .expect(201);
    return response.body.key;
  }

  /**
   * Calls a route as a cookie, a key, or nobody. Every parameter is a missing id, except `:id`
   * when `id` is given (another owner's object).
   */
  function call(route: { method: string; path: string }, auth: { cookie?: string; key?: string } = {}, id?: string) {
    const path = route.path.replace(':id', id ?? MISSING_ID).replace(/:[a-zA-Z]+/g, MISSING_ID);
    const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete' | 'put';
    const req = request(world.app.url)[method](path);
    if (auth.cookie) req.set('cookie', auth.cookie);
    if (auth.key) req.set('authorization', `Bearer ${auth.key}`);
    return method === 'get' ? req : req.send({});
  }

  const refused = (response: request.Response) => response.status === 401 || response.status === 403;

  /** The dashboard routes a signed-in caller is checked against (logout would end the session). */
  function sessionRoutes(): RouteInfo[] {
    return collectRoutes(world.app.instance.app).filter(
      (r) => !r.apiKey && !r.scimToken && EXPECTED[r.key] !== 'public' && !r.key.includes('logout'),
    );
  }

  /** Allowed where `permissions` holds the route's permission, else 403; never a 401. */
  async function expectAccess(who: string, cookie: string, permissions: readonly string[]): Promise<void> {
    for (const route of sessionRoutes()) {
      const required = EXPECTED[route.key] as Permission;
      const allowed = permissions.includes(required);
      const response = await call(route, { cookie });
      const label = `${who}: ${route.key} (${required})`;
      if (allowed) {
        expect([label, response.status === 401 || response.status === 403]).toEqual([label, false]);
      } else {
        expect([label, response.status, response.body.error?.code]).toEqual([label, 403, 'forbidden']);
      }
    }
  }

  /** Another owner's object answers exactly like a missing one, on every route `permissions` allows. */
  async function expectForeignHidden(who: string, cookie: string, permissions: readonly string[]): Promise<number> {
    let checked = 0;
    for (const route of sessionRoutes()) {
      const resource = ownedResource(route);
      if (!resource || !permissions.includes(EXPECTED[route.key])) continue;
      const missing = await call(route, { cookie });
      const theirs = await call(route, { cookie }, foreign[resource]);
      const label = `${who}: ${route.key} on bob's ${resource}`;
      expect([label, theirs.status, theirs.body.error?.code]).toEqual([
        label,
        missing.status,
        missing.body.error?.code,
      ]);
      expect([label, theirs.status >= 400]).toEqual([label, true]);
      checked++;
    }
    return checked;
  }

  it('finds no handler without @Public() or @RequirePermission()', () => {
    const routes = collectRoutes(world.app.instance.app);
    expect(routes.length).toBeGreaterThan(5);
    expect(undeclaredRoutes(routes).map((r) => r.key)).toEqual([]);
  });

  it('has an expectation for every route, and each route declares the permission the table says', () => {
    const routes = collectRoutes(world.app.instance.app).filter((r) => !r.apiKey);
    expect(routes.map((r) => r.key).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const route of routes) {
      const declared = route.scimToken ? 'scim-token' : route.isPublic ? 'public' : route.permission;
      expect([route.key, declared]).toEqual([route.key, EXPECTED[route.key]]);
    }
    for (const permission of Object.values(EXPECTED)) {
      if (permission !== 'public' && permission !== 'scim-token') expect(PERMISSIONS).toContain(permission);
    }
  });

  it('refuses every API-key route without a key, even with a dashboard session', async () => {
    const keyRoutes = collectRoutes(world.app.instance.app).filter((r) => r.apiKey);
    expect(keyRoutes.length).toBeGreaterThanOrEqual(7);
    for (const route of keyRoutes) {
      expect(route.permission).toBe('proxy:use');
      const method = route.method.toLowerCase() as 'get' | 'post';
      const anonymous = await request(world.app.url)[method](route.path);
      const withCookie = await request(world.app.url)[method](route.path).set('cookie', adminCookie);
      for (const response of [anonymous, withCookie]) {
        expect([route.key, response.status, response.body.error?.code]).toEqual([route.key, 401, 'missing_api_key']);
      }
    }
  });

  it('opens every SCIM route to a SCIM token only: not anonymous callers, a session or any API key', async () => {
    const scimRoutes = collectRoutes(world.app.instance.app).filter((r) => r.scimToken);
    expect(scimRoutes.length).toBeGreaterThanOrEqual(14);
    for (const route of scimRoutes) {
      expect([route.key, route.isPublic, route.path.startsWith('/scim/v2/')]).toEqual([route.key, true, true]);
    }
    const created = await request(world.app.url)
      .post('/api/scim-tokens')
      .set('cookie', adminCookie)
      .send({ name: 'meta directory' })
      .expect(201);
    const everything = await keyWith(CARRIABLE_SCOPES);
    const usersEverything = await keyWith(CARRIABLE_SCOPES, world.alice.id);
    const callers: [string, { cookie?: string; key?: string }][] = [
      ['anonymous', {}],
      ...[...presets.entries()].map(([slug, cookie]): [string, { cookie: string }] => [`${slug} session`, { cookie }]),
      ['an admin key with every scope', { key: everything }],
      ["a user's key with every scope", { key: usersEverything }],
    ];
    for (const route of scimRoutes) {
      for (const [who, auth] of callers) {
        const response = await call(route, auth);
        expect([route.key, who, response.status, JSON.parse(response.text).schemas]).toEqual([
          route.key,
          who,
          401,
          ['urn:ietf:params:scim:api:messages:2.0:Error'],
        ]);
      }
      const withToken = await call(route, { key: created.body.token });
      expect([route.key, 'SCIM token', refused(withToken)]).toEqual([route.key, 'SCIM token', false]);
    }
  });

  it('answers anonymous callers 401 on every non-public route, and never 403 on a public one', async () => {
    for (const route of collectRoutes(world.app.instance.app).filter((r) => !r.apiKey)) {
      const response = await call(route);
      const label = `${route.key} (${EXPECTED[route.key]})`;
      if (EXPECTED[route.key] === 'public') {
        expect([label, response.status]).not.toEqual([label, 403]);
        expect([label, response.body.error?.code]).not.toEqual([label, 'unauthenticated']);
      } else {
        expect([label, response.status]).toEqual([label, 401]);
      }
    }
  });

  it.each(PRESET_ROLES.map((role) => role.slug))(
    'answers the %s preset on every route as its permission list says',
    async (slug) => {
      const cookie = presets.get(slug)!;
      const session = await as(cookie).get('/api/dashboard-auth/session').expect(200);
      expect(session.body.user.role).toBe(slug);
      await expectAccess(slug, cookie, permissionsForRole(slug));
      if (!permissionsForRole(slug).includes('owners:all')) {
        expect(await expectForeignHidden(slug, cookie, permissionsForRole(slug))).toBeGreaterThan(5);
      }
    },
  );

  it.each([...PERMISSIONS])(
    'opens exactly the routes needing %s to a role holding only it, and hides foreign objects',
    async (permission) => {
      const cookie = synthetic.get(permission)!;
      const session = await as(cookie).get('/api/dashboard-auth/session').expect(200);
      expect(session.body.permissions).toEqual([permission]);
      await expectAccess(`only ${permission}`, cookie, [permission]);
      const checked = await expectForeignHidden(`only ${permission}`, cookie, [permission]);
      const namesOwned = sessionRoutes().some((r) => ownedResource(r) && EXPECTED[r.key] === permission);
      expect([permission, checked > 0]).toEqual([permission, namesOwned]);
    },
  );

  it('answers API keys on /api as their scopes and their owner allow, and no further', async () => {
    const routes = collectRoutes(world.app.instance.app).filter(
      (r) => !r.apiKey && !r.scimToken && EXPECTED[r.key] !== 'public',
    );
    const scopes = [
      ...new Set(
        routes.map((r) => keyScope(EXPECTED[r.key] as Permission)).filter((s): s is Permission => s !== 'never'),
      ),
    ];
    const only = new Map<string, string>();
    const allBut = new Map<string, string>();
    for (const scope of scopes) {
      expect(CARRIABLE_SCOPES).toContain(scope);
      only.set(scope, await keyWith([scope]));
      allBut.set(scope, await keyWith(CARRIABLE_SCOPES.filter((s) => s !== scope)));
    }
    const proxyOnly = await keyWith(['proxy']);
    const everything = await keyWith(CARRIABLE_SCOPES);
    const usersEverything = await keyWith(CARRIABLE_SCOPES, world.alice.id);
    const userRole = permissionsForRole('user');
    for (const route of routes) {
      if (route.key.includes('logout')) continue;
      const permission = EXPECTED[route.key] as Permission;
      const scope = keyScope(permission);
      const label = `${route.key} (key: ${scope})`;
      const status = async (key: string) => (await call(route, { key })).status;
      // `proxy` alone reaches nothing here.
      expect([label, 'proxy only', await status(proxyOnly)]).toEqual([label, 'proxy only', 403]);
      if (scope === 'never') {
        expect([label, 'every scope', await status(everything)]).toEqual([label, 'every scope', 403]);
        expect([label, "a user's", await status(usersEverything)]).toEqual([label, "a user's", 403]);
        continue;
      }
      const withScope = await call(route, { key: only.get(scope)! });
      expect([label, 'only its scope', refused(withScope)]).toEqual([label, 'only its scope', false]);
      expect([label, 'all but its scope', await status(allBut.get(scope)!)]).toEqual([label, 'all but its scope', 403]);
      const users = await call(route, { key: usersEverything });
      expect([label, "a user's", refused(users)]).toEqual([label, "a user's", !userRole.includes(permission)]);
      // A key with a cookie beside it is a cookie request: the session decides.
      const both = await call(route, { key: proxyOnly, cookie: adminCookie });
      expect([label, 'key and cookie', refused(both)]).toEqual([label, 'key and cookie', false]);
    }
  });

  it('refuses a bad key on /api with 401, and lets a public route answer regardless', async () => {
    const bad = 'sk-clb-' + 'x'.repeat(43);
    const refusedKey = await request(world.app.url).get('/api/usage/summary').set('authorization', `Bearer ${bad}`);
    expect([refusedKey.status, refusedKey.body.error?.code]).toEqual([401, 'invalid_api_key']);
    const viaHeader = await request(world.app.url).get('/api/usage/summary').set('x-api-key', 'not-a-key');
    expect([viaHeader.status, viaHeader.body.error?.code]).toEqual([401, 'invalid_api_key']);
    await request(world.app.url).get('/api/health').set('authorization', `Bearer ${bad}`).expect(200);
    const session = await request(world.app.url)
      .get('/api/dashboard-auth/session')
      .set('authorization', `Bearer ${bad}`);
    expect(session.body).toEqual({ authenticated: false });
  });

  it('refuses the proxy to a key without the proxy scope', async () => {
    const keyRoutes = collectRoutes(world.app.instance.app).filter((r) => r.apiKey);
    const usageOnly = await keyWith(['usage:read']);
    for (const route of keyRoutes) {
      const method = route.method.toLowerCase() as 'get' | 'post';
      const response = await request(world.app.url)[method](route.path).set('authorization', `Bearer ${usageOnly}`);
      expect([route.key, response.status]).toEqual([route.key, 403]);
    }
  });
});

describe('a route someone forgot to declare', () => {
  @Controller('api/throwaway')
  class ThrowawayController {
    @Get()
    leak() {
      return { secret: 'should never be served' };
    }
  }

  @Module({
    controllers: [ThrowawayController],
    providers: [
      { provide: SETTINGS, useValue: loadSettings({}) },
      { provide: SessionAuthenticator, useValue: { authenticate: async () => null } },
      { provide: KeyAuthenticator, useValue: { authenticate: async () => null } },
      { provide: AuditService, useValue: { recordSoon: () => undefined, record: async () => undefined } },
      { provide: APP_GUARD, useClass: AccessGuard },
    ],
  })
  class ThrowawayModule {}

  let nest: NestFastifyApplication;
  beforeAll(async () => {
    nest = await NestFactory.create<NestFastifyApplication>(ThrowawayModule, new FastifyAdapter(), { logger: false });
    await nest.init();
    await nest.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => nest.close());

  it('is reported by the walker and refused by the guard', async () => {
    expect(undeclaredRoutes(collectRoutes(nest, false)).map((r) => r.key)).toEqual(['GET /api/throwaway']);
    const response = await request(nest.getHttpServer()).get('/api/throwaway');
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('should never be served');
  });
});
