// Walks every route from Nest's metadata: none may lack an auth declaration, and each one answers
// anonymous, `user` and `admin` callers, and API keys of every scope, as the tables below say.
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { API_KEY_FORBIDDEN_SCOPES, PERMISSIONS, type Permission } from '@codex-lb/shared';
import { AccessGuard, KeyAuthenticator, SessionAuthenticator } from '../src/common/access.guard';
import { loadSettings, SETTINGS } from '../src/config/settings';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './support/app';
import { collectRoutes, undeclaredRoutes } from './support/routes';

type Access = 'public' | 'user' | 'admin';

/** Who may call each route. A new route must be added here, or this spec fails. */
const EXPECTED: Record<string, Access> = {
  'GET /api/health': 'public',
  'GET /api/health/ready': 'public',
  'POST /api/dashboard-auth/password/login': 'public',
  'GET /api/dashboard-auth/session': 'public',
  'POST /api/dashboard-auth/logout': 'public',
  'POST /api/dashboard-auth/password/change': 'user',
  'GET /api/users': 'admin',
  'POST /api/users': 'admin',
  'GET /api/users/:id': 'admin',
  'PATCH /api/users/:id': 'admin',
  'DELETE /api/users/:id': 'admin',
  'GET /api/accounts': 'user',
  'POST /api/accounts/import': 'user',
  'GET /api/accounts/:id': 'user',
  'PATCH /api/accounts/:id': 'user',
  'POST /api/accounts/:id/pause': 'user',
  'POST /api/accounts/:id/resume': 'user',
  'POST /api/accounts/:id/refresh-usage': 'user',
  'DELETE /api/accounts/:id': 'user',
  'PATCH /api/accounts/:id/owner': 'user',
  'PUT /api/accounts/:id/shares/:groupId': 'user',
  'DELETE /api/accounts/:id/shares/:groupId': 'user',
  'GET /api/groups': 'user',
  'POST /api/groups': 'user',
  'GET /api/groups/:id': 'user',
  'PATCH /api/groups/:id': 'user',
  'DELETE /api/groups/:id': 'user',
  'GET /api/groups/:id/members': 'user',
  'PUT /api/groups/:id/members/:principalId': 'user',
  'DELETE /api/groups/:id/members/:principalId': 'user',
  'GET /api/groups/:id/impact': 'user',
  'POST /api/oauth/start': 'user',
  'GET /api/oauth/status/:flowId': 'user',
  'POST /api/oauth/manual-callback': 'user',
  'GET /api/api-keys': 'user',
  'POST /api/api-keys': 'user',
  'GET /api/api-keys/:id': 'user',
  'GET /api/api-keys/:id/effective-accounts': 'user',
  'PATCH /api/api-keys/:id': 'user',
  'POST /api/api-keys/:id/regenerate': 'user',
  'DELETE /api/api-keys/:id': 'user',
  'GET /api/request-logs': 'user',
  'GET /api/request-logs/export': 'user',
  'GET /api/request-logs/:id': 'user',
  'GET /api/usage/summary': 'user',
  'GET /api/usage/timeseries': 'user',
  'GET /api/dashboard/overview': 'user',
  'GET /api/service-accounts': 'user',
  'POST /api/service-accounts': 'user',
  'GET /api/service-accounts/:id': 'user',
  'PATCH /api/service-accounts/:id': 'user',
  'DELETE /api/service-accounts/:id': 'user',
  'POST /api/service-accounts/:id/disable': 'user',
  'GET /api/service-accounts/:id/keys': 'user',
  'POST /api/service-accounts/:id/keys': 'user',
};

/**
 * The one scope that opens each non-public route to an API key (sent with no cookie); `never`:
 * no key reaches it, whatever its scopes (user, role and owner management, the password). A key
 * is allowed what its scopes and its owner's role both allow, so a `user`-owned key never
 * reaches an admin route either. A new route must be added here too.
 */
const KEY_SCOPE: Record<string, Permission | 'never'> = {
  'POST /api/dashboard-auth/password/change': 'never',
  'GET /api/users': 'never',
  'POST /api/users': 'never',
  'GET /api/users/:id': 'never',
  'PATCH /api/users/:id': 'never',
  'DELETE /api/users/:id': 'never',
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
};

/** Every scope a key may carry. */
const CARRIABLE_SCOPES = [
  'proxy',
  ...PERMISSIONS.filter((p) => !(API_KEY_FORBIDDEN_SCOPES as readonly string[]).includes(p)),
];

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

describe('route access meta-spec', () => {
  let app: TestApp;
  let adminCookie: string;
  let userCookie: string;
  let userId: string;

  beforeAll(async () => {
    app = await startTestApp({ env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
    adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
    const user = await createUserSession(app, adminCookie, 'meta-user');
    userCookie = user.cookie;
    userId = user.id;
  });

  /** A key with these scopes, owned by the admin or (ownerId) another user. */
  async function keyWith(scopes: string[], ownerId?: string): Promise<string> {
    const response = await request(app.url)
      .post('/api/api-keys')
      .set('cookie', adminCookie)
      .send({ name: `meta ${scopes.join(' ')}`.slice(0, 100), scopes, ...(ownerId ? { ownerId } : {}) })
      .expect(201);
    return response.body.key;
  }

  /** Calls a route with a missing id for every parameter, as a cookie, a key, or nobody. */
  function call(route: { method: string; path: string }, auth: { cookie?: string; key?: string } = {}) {
    const path = route.path.replace(/:[a-zA-Z]+/g, MISSING_ID);
    const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete' | 'put';
    const req = request(app.url)[method](path);
    if (auth.cookie) req.set('cookie', auth.cookie);
    if (auth.key) req.set('authorization', `Bearer ${auth.key}`);
    return method === 'get' ? req : req.send({});
  }

  const refused = (response: request.Response) => response.status === 401 || response.status === 403;
  afterAll(() => app.close());

  it('finds no handler without @Public() or @RequirePermission()', () => {
    const routes = collectRoutes(app.instance.app);
    expect(routes.length).toBeGreaterThan(5);
    expect(undeclaredRoutes(routes).map((r) => r.key)).toEqual([]);
  });

  it('has an expectation for every route, and every expectation has a route', () => {
    const keys = collectRoutes(app.instance.app)
      .filter((r) => !r.apiKey)
      .map((r) => r.key)
      .sort();
    expect(keys).toEqual(Object.keys(EXPECTED).sort());
    const keyed = keys.filter((key) => EXPECTED[key] !== 'public');
    expect(keyed).toEqual(Object.keys(KEY_SCOPE).sort());
    for (const [route, scope] of Object.entries(KEY_SCOPE)) {
      if (scope !== 'never') expect([route, CARRIABLE_SCOPES.includes(scope)]).toEqual([route, true]);
    }
  });

  it('refuses every API-key route without a key, even with a dashboard session', async () => {
    const keyRoutes = collectRoutes(app.instance.app).filter((r) => r.apiKey);
    expect(keyRoutes.length).toBeGreaterThanOrEqual(7);
    for (const route of keyRoutes) {
      expect(route.permission).toBe('proxy:use');
      const method = route.method.toLowerCase() as 'get' | 'post';
      const anonymous = await request(app.url)[method](route.path);
      const withCookie = await request(app.url)[method](route.path).set('cookie', adminCookie);
      for (const response of [anonymous, withCookie]) {
        expect([route.key, response.status, response.body.error?.code]).toEqual([route.key, 401, 'missing_api_key']);
      }
    }
  });

  it('answers anonymous, user and admin callers as the table says', async () => {
    const routes = collectRoutes(app.instance.app).filter((r) => !r.apiKey && !r.key.includes('logout'));
    for (const route of routes) {
      const expected = EXPECTED[route.key];
      const [anonymous, user, admin] = [
        await call(route),
        await call(route, { cookie: userCookie }),
        await call(route, { cookie: adminCookie }),
      ];
      const label = `${route.key} (${expected})`;
      if (expected === 'public') {
        expect([label, anonymous.status]).not.toEqual([label, 401]);
        expect([label, anonymous.status]).not.toEqual([label, 403]);
      } else {
        expect([label, anonymous.status]).toEqual([label, 401]);
      }
      const userAllowed = expected !== 'admin';
      expect([label, user.status === 403 || user.status === 401]).toEqual([label, !userAllowed]);
      expect([label, admin.status === 403 || admin.status === 401]).toEqual([label, false]);
    }
  });

  it('answers API keys on /api as their scopes and their owner allow, and no further', async () => {
    const routes = collectRoutes(app.instance.app).filter((r) => !r.apiKey && EXPECTED[r.key] !== 'public');
    const scopes = [...new Set(Object.values(KEY_SCOPE).filter((s): s is Permission => s !== 'never'))];
    const only = new Map<string, string>();
    const allBut = new Map<string, string>();
    for (const scope of scopes) {
      only.set(scope, await keyWith([scope]));
      allBut.set(scope, await keyWith(CARRIABLE_SCOPES.filter((s) => s !== scope)));
    }
    const proxyOnly = await keyWith(['proxy']);
    const everything = await keyWith(CARRIABLE_SCOPES);
    const usersEverything = await keyWith(CARRIABLE_SCOPES, userId);
    for (const route of routes) {
      const scope = KEY_SCOPE[route.key];
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
      expect([label, "a user's", refused(users)]).toEqual([label, "a user's", EXPECTED[route.key] === 'admin']);
      // A key with a cookie beside it is a cookie request: the session decides.
      const both = await call(route, { key: proxyOnly, cookie: adminCookie });
      expect([label, 'key and cookie', refused(both)]).toEqual([label, 'key and cookie', false]);
    }
  });

  it('refuses a bad key on /api with 401, and lets a public route answer regardless', async () => {
    const bad = 'sk-clb-' + 'x'.repeat(43);
    const refusedKey = await request(app.url).get('/api/usage/summary').set('authorization', `Bearer ${bad}`);
    expect([refusedKey.status, refusedKey.body.error?.code]).toEqual([401, 'invalid_api_key']);
    const viaHeader = await request(app.url).get('/api/usage/summary').set('x-api-key', 'not-a-key');
    expect([viaHeader.status, viaHeader.body.error?.code]).toEqual([401, 'invalid_api_key']);
    await request(app.url).get('/api/health').set('authorization', `Bearer ${bad}`).expect(200);
    const session = await request(app.url).get('/api/dashboard-auth/session').set('authorization', `Bearer ${bad}`);
    expect(session.body).toEqual({ authenticated: false });
  });

  it('refuses the proxy to a key without the proxy scope', async () => {
    const keyRoutes = collectRoutes(app.instance.app).filter((r) => r.apiKey);
    const usageOnly = await keyWith(['usage:read']);
    for (const route of keyRoutes) {
      const method = route.method.toLowerCase() as 'get' | 'post';
      const response = await request(app.url)[method](route.path).set('authorization', `Bearer ${usageOnly}`);
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
