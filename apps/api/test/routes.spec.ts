// Walks every route from Nest's metadata: none may lack an auth declaration, and each one answers
// anonymous, `user` and `admin` callers as the table below says.
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
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
};

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

describe('route access meta-spec', () => {
  let app: TestApp;
  let adminCookie: string;
  let userCookie: string;

  beforeAll(async () => {
    app = await startTestApp({ env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
    adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
    userCookie = (await createUserSession(app, adminCookie, 'meta-user')).cookie;
  });
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
      const path = route.path.replace(/:[a-zA-Z]+/g, MISSING_ID);
      const call = (cookie?: string) => {
        const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete' | 'put';
        const req = request(app.url)[method](path);
        if (cookie) req.set('cookie', cookie);
        return method === 'get' ? req : req.send({});
      };
      const expected = EXPECTED[route.key];
      const [anonymous, user, admin] = [await call(), await call(userCookie), await call(adminCookie)];
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
