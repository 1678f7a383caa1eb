// Company sign-in against a real OpenID provider (oidc-provider in this process): first sign-in
// creates a user or consumes an invitation, a known identity signs in as its user, linking from
// settings; every broken answer (replayed state, another browser, wrong nonce, audience or issuer,
// expired, alg none, unknown key) fails with a clear message and no session; a key rotation at the
// provider is picked up; an e-mail equal to an existing user's never signs in as them; group claims
// map to roles and groups and a removed claim demotes at the next sign-in; the local-login policy;
// a person the directory created (SCIM) is linked at the first sign-in by the provider's link claim.
import request from 'supertest';
import {
  ADMIN_PASSWORD,
  createUserSession,
  DASHBOARD_ORIGIN,
  sessionCookie,
  startTestApp,
  type TestApp,
} from './support/app';
import { AuditService } from '../src/modules/audit/audit.service';
import { JWKS_COOLDOWN_MS } from '../src/modules/identity/oidc-client';
import { startTestOp, type TestOp } from './support/oidc-op';
import { totpCode } from '../src/modules/auth/totp';

const LOGIN = '/api/dashboard-auth/password/login';
const SLUG = 'acme';
const REDIRECT_URI = `${DASHBOARD_ORIGIN}/api/dashboard-auth/oidc/${SLUG}/callback`;

interface Flow {
  status: number;
  location: string;
  session: string | null;
  cookies: string[];
}

function cookiesOf(response: request.Response): string[] {
  return ([] as string[]).concat(response.headers['set-cookie'] ?? []);
}

function sessionFrom(cookies: string[]): string | null {
  const cookie = cookies.find(
    (value) => value.startsWith('codex_lb_session=') && !value.startsWith('codex_lb_session=;'),
  );
  return cookie ? cookie.split(';')[0] : null;
}

describe('OIDC sign-in', () => {
  let app: TestApp;
  let op: TestOp;
  let adminCookie: string;
  let adminId: string;
  let providerId: string;
  let engineersGroup: string;

  /** Starts at the gateway, logs in at the provider as `sub`, returns the callback's answer. */
  async function signIn(
    sub: string,
    options: { amr?: string[]; before?: (query: URLSearchParams) => Promise<unknown>; cookie?: string } = {},
  ): Promise<Flow & { query: URLSearchParams; stateCookie: string }> {
    op.nextLogin = { sub, amr: options.amr };
    const start = await request(app.url).get(`/api/dashboard-auth/oidc/${SLUG}/start`).expect(302);
    const stateCookie = cookiesOf(start)
      .find((value) => value.startsWith('codex_lb_oidc='))!
      .split(';')[0];
    const authorization = new URL(start.headers.location);
    expect(authorization.origin).toBe(op.issuer);
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    const query = await op.authorize(start.headers.location);
    await options.before?.(query);
    const callback = await request(app.url)
      .get(`/api/dashboard-auth/oidc/${SLUG}/callback?${query}`)
      .set('cookie', options.cookie ?? stateCookie);
    const cookies = cookiesOf(callback);
    return {
      status: callback.status,
      location: callback.headers.location,
      session: sessionFrom(cookies),
      cookies,
      query,
      stateCookie,
    };
  }

  /** A provider at the test OP `at` as an admin configures it: acme.test only, engineering mapped. */
  function providerSettings(at: TestOp, overrides: Record<string, unknown> = {}) {
    return {
      slug: SLUG,
      name: 'Acme SSO',
      issuer: at.issuer,
      clientId: at.clientId,
      clientSecret: at.clientSecret,
      scopes: ['openid', 'email', 'profile', 'groups'],
      allowedDomains: ['acme.test'],
      createUsers: true,
      defaultRole: 'viewer',
      mappings: [{ claim: 'groups', value: 'engineering', role: 'user', groupId: engineersGroup, groupRole: 'member' }],
      ...overrides,
    };
  }

  async function whoAmI(cookie: string) {
    const response = await request(app.url).get('/api/dashboard-auth/session').set('cookie', cookie).expect(200);
    return response.body;
  }

  function expectRefused(flow: Flow, message: RegExp) {
    expect(flow.status).toBe(302);
    expect(flow.session).toBeNull();
    const location = new URL(flow.location);
    expect(location.pathname).toBe('/login');
    expect(location.searchParams.get('error')).toBeTruthy();
    expect(location.searchParams.get('message')).toMatch(message);
  }

  beforeAll(async () => {
    op = await startTestOp([REDIRECT_URI, `${DASHBOARD_ORIGIN}/api/dashboard-auth/oidc/other/callback`]);
    app = await startTestApp({
      env: { CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000', CODEX_LB_LOGIN_FAILURES_BEFORE_BACKOFF: '100' },
    });
    const response = await request(app.url).post(LOGIN).send({ username: 'admin', password: ADMIN_PASSWORD });
    adminCookie = sessionCookie(response);
    adminId = response.body.user.id;
    const group = await request(app.url)
      .post('/api/groups')
      .set('cookie', adminCookie)
      .send({ slug: 'engineers', name: 'Engineers' })
      .expect(201);
    engineersGroup = group.body.id;
    op.users.set('alice-sub', {
      email: 'alice@acme.test',
      email_verified: true,
      preferred_username: 'alice',
      groups: ['staff'],
    });
  });

  afterAll(async () => {
    await app?.close();
    await op?.close();
  });

  it('an admin configures a provider: the secret is sealed and never returned; test connection checks discovery and the client', async () => {
    const created = await request(app.url)
      .post('/api/identity-providers')
      .set('cookie', adminCookie)
      .send(providerSettings(op, { clientSecret: 'wrong-secret' }))
      .expect(201);
    providerId = created.body.id;
    expect(created.body).toMatchObject({ slug: SLUG, hasClientSecret: true, redirectUri: REDIRECT_URI });
    expect(JSON.stringify(created.body)).not.toContain('wrong-secret');
    const stored = await app.instance.dataSource.query(`SELECT client_secret FROM identity_providers WHERE id = $1`, [
      providerId,
    ]);
    expect(stored[0].client_secret).toMatch(/^v1\./);
    expect(stored[0].client_secret).not.toContain('wrong-secret');

    const bad = await request(app.url)
      .post(`/api/identity-providers/${providerId}/test`)
      .set('cookie', adminCookie)
      .expect(200);
    expect(bad.body).toMatchObject({ ok: false, discovery: { ok: true }, credentials: { ok: false } });
    await request(app.url)
      .patch(`/api/identity-providers/${providerId}`)
      .set('cookie', adminCookie)
      .send({ clientSecret: op.clientSecret })
      .expect(200);
    const good = await request(app.url)
      .post(`/api/identity-providers/${providerId}/test`)
      .set('cookie', adminCookie)
      .expect(200);
    expect(good.body).toMatchObject({ ok: true, discovery: { ok: true }, credentials: { ok: true } });

    const audit = await app.instance.dataSource.query(
      `SELECT changes::text AS changes FROM audit_events WHERE action LIKE 'identity_provider.%'`,
    );
    expect(audit.length).toBeGreaterThanOrEqual(3);
    for (const row of audit) expect(row.changes ?? '').not.toMatch(/wrong-secret|op-client-secret|v1\./);

    const publicList = await request(app.url).get('/api/dashboard-auth/providers').expect(200);
    expect(publicList.body).toEqual({ providers: [{ slug: SLUG, name: 'Acme SSO' }], localLogin: 'everyone' });
  });

  it('refuses an admin-level default role, and an admin-level mapping unless marked allowAdmin', async () => {
    const base = { slug: 'other', name: 'Other', issuer: op.issuer, clientId: 'x' };
    const role = await request(app.url)
      .post('/api/identity-providers')
      .set('cookie', adminCookie)
      .send({ ...base, defaultRole: 'admin' })
      .expect(400);
    expect(role.body.error.message).toMatch(/admin-level/);
    const mapping = await request(app.url)
      .post('/api/identity-providers')
      .set('cookie', adminCookie)
      .send({ ...base, mappings: [{ claim: 'groups', value: 'it', role: 'admin' }] })
      .expect(400);
    expect(mapping.body.error.message).toMatch(/allowAdmin/);
    await request(app.url)
      .post('/api/identity-providers')
      .set('cookie', adminCookie)
      .send({ ...base, issuer: 'http://idp.example.com' })
      .expect(400);
  });

  it('first sign-in creates the user with the default role; the next one signs in as them (linked by issuer and subject)', async () => {
    const first = await signIn('alice-sub');
    expect(first.status).toBe(302);
    expect(first.location).toBe(`${DASHBOARD_ORIGIN}/`);
    expect(first.session).not.toBeNull();
    const session = await whoAmI(first.session!);
    expect(session).toMatchObject({ authenticated: true, user: { username: 'alice', role: 'viewer' } });
    const again = await signIn('alice-sub');
    expect((await whoAmI(again.session!)).user.id).toBe(session.user.id);
    const identities = await request(app.url).get('/api/me/identities').set('cookie', again.session!).expect(200);
    expect(identities.body.items).toEqual([expect.objectContaining({ providerSlug: SLUG, email: 'alice@acme.test' })]);
    // Someone created at the provider has no password: their only identity cannot be unlinked.
    const last = await request(app.url)
      .delete(`/api/me/identities/${identities.body.items[0].id}`)
      .set('cookie', again.session!)
      .expect(409);
    expect(last.body.error.message).toMatch(/only way to sign in/);
    // A session from the provider ends no later than the cap, like a password session.
    const cap = app.settings.sessionAbsoluteTimeoutSeconds;
    const max = first.cookies.find((value) => value.startsWith('codex_lb_session='))!.match(/Max-Age=(\d+)/i)![1];
    expect(Number(max)).toBeLessThanOrEqual(cap);
    const rows = await app.instance.dataSource
      .query(
        `SELECT extract(epoch FROM expires_at - created_at)::int AS seconds FROM dashboard_sessions s
         JOIN dashboard_users u ON u.id = s.user_id WHERE u.username = 'alice'`,
      )
      .catch(() => null);
    if (rows) for (const row of rows) expect(row.seconds).toBeLessThanOrEqual(cap);
  });

  it('an e-mail equal to an existing user’s never signs in as them', async () => {
    op.users.set('mallory-sub', { email: 'admin@acme.test', email_verified: true, preferred_username: 'admin' });
    const flow = await signIn('mallory-sub');
    expect(flow.session).not.toBeNull();
    const session = await whoAmI(flow.session!);
    expect(session.user.id).not.toBe(adminId);
    expect(session.user.username).not.toBe('admin');
    expect(session.user.role).toBe('viewer');
  });

  it('refuses an unverified e-mail, a domain outside the list, and (without createUsers) anyone uninvited; an invitation lets one in once', async () => {
    op.users.set('unverified-sub', { email: 'eve@acme.test', email_verified: false });
    expectRefused(await signIn('unverified-sub'), /verified e-mail/);
    op.users.set('outsider-sub', { email: 'bob@elsewhere.test', email_verified: true });
    expectRefused(await signIn('outsider-sub'), /elsewhere\.test/);

    await request(app.url)
      .patch(`/api/identity-providers/${providerId}`)
      .set('cookie', adminCookie)
      .send({ createUsers: false })
      .expect(200);
    op.users.set('carol-sub', { email: 'Carol@acme.test', email_verified: true, preferred_username: 'carol' });
    expectRefused(await signIn('carol-sub'), /invit/);
    await request(app.url)
      .post(`/api/identity-providers/${providerId}/invitations`)
      .set('cookie', adminCookie)
      .send({ email: 'carol@acme.test', role: 'user' })
      .expect(201);
    const invited = await signIn('carol-sub');
    expect(invited.session).not.toBeNull();
    // The provider's role rules decide the role at every sign-in, the first included.
    expect((await whoAmI(invited.session!)).user).toMatchObject({ username: 'carol', role: 'viewer' });
    const invitations = await request(app.url)
      .get(`/api/identity-providers/${providerId}/invitations`)
      .set('cookie', adminCookie)
      .expect(200);
    expect(invitations.body.items[0]).toMatchObject({ email: 'carol@acme.test', consumedAt: expect.any(String) });
    await request(app.url)
      .patch(`/api/identity-providers/${providerId}`)
      .set('cookie', adminCookie)
      .send({ createUsers: true })
      .expect(200);
  });

  it('a replayed state, a state from another browser, and an expired state fail with no session', async () => {
    const flow = await signIn('alice-sub');
    expect(flow.session).not.toBeNull();
    const replay = await request(app.url)
      .get(`/api/dashboard-auth/oidc/${SLUG}/callback?${flow.query}`)
      .set('cookie', flow.stateCookie)
      .expect(302);
    expectRefused(
      { status: 302, location: replay.headers.location, session: sessionFrom(cookiesOf(replay)), cookies: [] },
      /already completed/,
    );
    expectRefused(await signIn('alice-sub', { cookie: 'codex_lb_oidc=another-browser' }), /another browser/);
    expectRefused(
      await signIn('alice-sub', {
        before: () =>
          app.instance.dataSource.query(`UPDATE oidc_login_states SET expires_at = now() - interval '1 minute'`),
      }),
      /expired|already completed/,
    );
  });

  describe('ID tokens the gateway must refuse', () => {
    const cases: [
      string,
      (
        claims: Record<string, unknown>,
        sign: (c: Record<string, unknown>, k?: 'current' | 'unknown') => Promise<string>,
      ) => Promise<string>,
      RegExp,
    ][] = [
      ['a wrong nonce', (claims, sign) => sign({ ...claims, nonce: 'another-nonce' }), /nonce/],
      ['a wrong audience', (claims, sign) => sign({ ...claims, aud: 'someone-else' }), /aud/],
      ['a wrong issuer', (claims, sign) => sign({ ...claims, iss: 'http://127.0.0.1:1' }), /iss/],
      [
        'an expired token',
        (claims, sign) => sign({ ...claims, iat: (claims.iat as number) - 7200, exp: (claims.iat as number) - 3600 }),
        /exp/,
      ],
      [
        'alg none',
        async (claims) =>
          `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`,
        /alg|signature|JWS|invalid/i,
      ],
      ['an unknown signing key', (claims, sign) => sign(claims, 'unknown'), /signature|key/i],
    ];
    it.each(cases)('%s: refused with a clear message, no session', async (_name, craft, message) => {
      op.craft = (claims, tools) => craft(claims, tools.sign);
      // Failed sign-ins are gathered per window; write the earlier ones so this one has its own row.
      await app.instance.app.get(AuditService).flush();
      const flow = await signIn('alice-sub');
      expect(op.craft).toBeNull();
      expectRefused(flow, message);
      await app.instance.app.get(AuditService).flush();
      const rows: { reason: string }[] = await app.instance.dataSource.query(
        `SELECT reason FROM audit_events WHERE action = 'auth.login_failed'`,
      );
      expect(rows.some((row) => message.test(row.reason))).toBe(true);
    });
  });

  it('picks up a key rotation at the provider', async () => {
    await signIn('alice-sub');
    await op.rotateKeys();
    await new Promise((resolve) => setTimeout(resolve, JWKS_COOLDOWN_MS + 500));
    const flow = await signIn('alice-sub');
    expect(flow.session).not.toBeNull();
  });

  it('group claims map to a role and a group; a removed claim demotes and removes at the next sign-in', async () => {
    op.users.set('dave-sub', {
      email: 'dave@acme.test',
      email_verified: true,
      preferred_username: 'dave',
      groups: ['engineering'],
    });
    const first = await signIn('dave-sub');
    const dave = await whoAmI(first.session!);
    expect(dave.user.role).toBe('user');
    const members = await request(app.url)
      .get(`/api/groups/${engineersGroup}/members`)
      .set('cookie', adminCookie)
      .expect(200);
    expect(
      members.body.items.map((member: { id: string; principalId?: string }) => member.principalId ?? member.id),
    ).toContain(dave.user.id);

    op.users.set('dave-sub', { email: 'dave@acme.test', email_verified: true, preferred_username: 'dave', groups: [] });
    const second = await signIn('dave-sub');
    expect((await whoAmI(second.session!)).user.role).toBe('viewer');
    const after = await request(app.url)
      .get(`/api/groups/${engineersGroup}/members`)
      .set('cookie', adminCookie)
      .expect(200);
    expect(
      after.body.items.map((member: { id: string; principalId?: string }) => member.principalId ?? member.id),
    ).not.toContain(dave.user.id);
  });

  it('a mapping to an admin-level role applies only when marked allowAdmin', async () => {
    op.users.set('erin-sub', {
      email: 'erin@acme.test',
      email_verified: true,
      preferred_username: 'erin',
      groups: ['it-admins'],
    });
    await request(app.url)
      .patch(`/api/identity-providers/${providerId}`)
      .set('cookie', adminCookie)
      .send({
        mappings: [
          { claim: 'groups', value: 'engineering', role: 'user', groupId: engineersGroup, groupRole: 'member' },
          { claim: 'groups', value: 'it-admins', role: 'admin', allowAdmin: true },
        ],
      })
      .expect(200);
    const flow = await signIn('erin-sub');
    expect((await whoAmI(flow.session!)).user.role).toBe('admin');
    // Rows written before the rule changed cannot grant admin: the flag is checked at sign-in too.
    await app.instance.dataSource.query(
      `UPDATE identity_provider_mappings SET allow_admin = false WHERE role = 'admin'`,
    );
    const again = await signIn('erin-sub');
    expect((await whoAmI(again.session!)).user.role).toBe('viewer');

    // The directory never takes management from the last active person holding it.
    const main: { id: string }[] = await app.instance.dataSource.query(
      `SELECT id FROM dashboard_users WHERE username = 'erin'`,
    );
    await app.instance.dataSource.query(`UPDATE dashboard_users SET role = 'admin' WHERE id = $1`, [main[0].id]);
    await app.instance.dataSource.query(`UPDATE dashboard_users SET is_active = false WHERE id = $1`, [adminId]);
    try {
      const last = await signIn('erin-sub');
      expect((await whoAmI(last.session!)).user.role).toBe('admin');
    } finally {
      await app.instance.dataSource.query(`UPDATE dashboard_users SET is_active = true WHERE id = $1`, [adminId]);
    }
    const demoted = await signIn('erin-sub');
    expect((await whoAmI(demoted.session!)).user.role).toBe('viewer');
  });

  it('a user links an identity from settings; it then signs them in; another user cannot link the same identity', async () => {
    const frank = await createUserSession(app, adminCookie, 'frank');
    op.users.set('frank-sub', { email: 'frank@acme.test', email_verified: true });
    op.nextLogin = { sub: 'frank-sub' };
    const start = await request(app.url)
      .post(`/api/me/identities/${SLUG}/link`)
      .set('cookie', frank.cookie)
      .expect(200);
    const stateCookie = cookiesOf(start)
      .find((value) => value.startsWith('codex_lb_oidc='))!
      .split(';')[0];
    const query = await op.authorize(start.body.url);
    const linked = await request(app.url)
      .get(`/api/dashboard-auth/oidc/${SLUG}/callback?${query}`)
      .set('cookie', `${stateCookie}; ${frank.cookie}`)
      .expect(302);
    expect(linked.headers.location).toBe(`${DASHBOARD_ORIGIN}/settings?linked=${SLUG}`);
    const flow = await signIn('frank-sub');
    expect((await whoAmI(flow.session!)).user.id).toBe(frank.id);

    const grace = await createUserSession(app, adminCookie, 'grace');
    const graceStart = await request(app.url)
      .post(`/api/me/identities/${SLUG}/link`)
      .set('cookie', grace.cookie)
      .expect(200);
    const graceState = cookiesOf(graceStart)
      .find((value) => value.startsWith('codex_lb_oidc='))!
      .split(';')[0];
    const graceQuery = await op.authorize(graceStart.body.url);
    const refused = await request(app.url)
      .get(`/api/dashboard-auth/oidc/${SLUG}/callback?${graceQuery}`)
      .set('cookie', graceState)
      .expect(302);
    expect(new URL(refused.headers.location).searchParams.get('error')).toBe('identity_already_linked');

    const mine = await request(app.url).get('/api/me/identities').set('cookie', frank.cookie).expect(200);
    await request(app.url)
      .delete(`/api/me/identities/${mine.body.items[0].id}`)
      .set('cookie', grace.cookie)
      .expect(404);
    await request(app.url)
      .delete(`/api/me/identities/${mine.body.items[0].id}`)
      .set('cookie', frank.cookie)
      .expect(204);
  });

  it('accepts the provider’s amr as the second factor only when the provider is set to', async () => {
    // A user with TOTP: without the setting, the provider's sign-in still waits for a code.
    op.users.set('henry-sub', { email: 'henry@acme.test', email_verified: true, preferred_username: 'henry' });
    const first = await signIn('henry-sub');
    const henry = await whoAmI(first.session!);
    await app.instance.dataSource.query(
      `INSERT INTO user_mfa (user_id, totp_secret, enrolled_at) VALUES ($1, 'v1.x.y.z', now())`,
      [henry.user.id],
    );
    // The provider's amr claim, signed with its key (this provider only sends it when asked for).
    const withAmr = (amr: string[]) => {
      op.craft = (claims, tools) => tools.sign({ ...claims, amr });
    };
    withAmr(['mfa']);
    const pending = await signIn('henry-sub');
    expect(pending.session).toBeNull();
    expect(pending.location).toBe(`${DASHBOARD_ORIGIN}/login?mfa=1`);
    expect(pending.cookies.some((value) => value.startsWith('codex_lb_mfa_pending='))).toBe(true);
    await request(app.url)
      .patch(`/api/identity-providers/${providerId}`)
      .set('cookie', adminCookie)
      .send({ acceptAmrAsMfa: true })
      .expect(200);
    withAmr(['pwd']);
    expect((await signIn('henry-sub')).session).toBeNull();
    withAmr(['pwd', 'mfa']);
    expect((await signIn('henry-sub')).session).not.toBeNull();
  });

  it('the local-login policy: admins only, then break-glass accounts only; the password login enforces it', async () => {
    const ivy = await createUserSession(app, adminCookie, 'ivy');
    await request(app.url)
      .patch('/api/auth-settings')
      .set('cookie', adminCookie)
      .send({ localLogin: 'admins' })
      .expect(200);
    const refused = await request(app.url).post(LOGIN).send({ username: 'ivy', password: ivy.password }).expect(403);
    expect(refused.body.error.code).toBe('local_login_disabled');
    await request(app.url).post(LOGIN).send({ username: 'admin', password: ADMIN_PASSWORD }).expect(200);
    expect((await request(app.url).get('/api/dashboard-auth/providers').expect(200)).body.localLogin).toBe('admins');

    await request(app.url)
      .patch('/api/auth-settings')
      .set('cookie', adminCookie)
      .send({ localLogin: 'break-glass', breakGlassUserIds: [] })
      .expect(400);
    const settings = await request(app.url)
      .patch('/api/auth-settings')
      .set('cookie', adminCookie)
      .send({ localLogin: 'break-glass', breakGlassUserIds: [ivy.id] })
      .expect(200);
    expect(settings.body).toMatchObject({
      localLogin: 'break-glass',
      breakGlassUsers: [{ id: ivy.id, username: 'ivy' }],
    });
    await request(app.url).post(LOGIN).send({ username: 'admin', password: ADMIN_PASSWORD }).expect(403);
    await request(app.url).post(LOGIN).send({ username: 'ivy', password: ivy.password }).expect(200);
    await request(app.url).get('/api/auth-settings').set('cookie', ivy.cookie).expect(403);
    await request(app.url)
      .patch('/api/auth-settings')
      .set('cookie', adminCookie)
      .send({ localLogin: 'everyone' })
      .expect(200);
    await request(app.url).post(LOGIN).send({ username: 'admin', password: ADMIN_PASSWORD }).expect(200);
  });

  it('only paths of the dashboard are redirect targets', async () => {
    for (const returnTo of ['https://evil.example/', '//evil.example', '/\\evil', '/settings/../x']) {
      const start = await request(app.url)
        .get(`/api/dashboard-auth/oidc/${SLUG}/start?returnTo=${encodeURIComponent(returnTo)}`)
        .expect(302);
      const state = await app.instance.dataSource.query(
        `SELECT return_to FROM oidc_login_states ORDER BY created_at DESC LIMIT 1`,
      );
      expect(state[0].return_to).toBe('/');
      expect(new URL(start.headers.location).origin).toBe(op.issuer);
    }
    const unknown = await request(app.url).get('/api/dashboard-auth/oidc/nope/start').expect(302);
    expect(new URL(unknown.headers.location).pathname).toBe('/login');
  });
  it('a person the directory created signs in through the provider as that user, linked by externalId, never by e-mail; a deactivated one is refused', async () => {
    const token = (
      await request(app.url).post('/api/scim-tokens').set('cookie', adminCookie).send({ name: 'Directory' }).expect(201)
    ).body.token as string;
    const scim = (method: 'post' | 'patch', path: string, body: object) =>
      (method === 'post' ? request(app.url).post(`/scim/v2${path}`) : request(app.url).patch(`/scim/v2${path}`))
        .set('authorization', `Bearer ${token}`)
        .set('content-type', 'application/scim+json')
        .send(JSON.stringify(body));
    const createScimUser = async (userName: string, externalId: string, active = true) =>
      JSON.parse(
        (
          await scim('post', '/Users', {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName,
            externalId,
            active,
            emails: [{ value: `${userName}@acme.test`, primary: true }],
          }).expect(201)
        ).text,
      ) as { id: string };
    const identitiesOf = async (userId: string) =>
      (await app.instance.dataSource.query(`SELECT subject FROM user_identities WHERE user_id = $1`, [userId])) as {
        subject: string;
      }[];

    const kim = await createScimUser('kim', 'kim-sub');
    op.users.set('kim-sub', { email: 'kim@acme.test', email_verified: true, preferred_username: 'kim-at-idp' });
    // Without the provider's link claim, the directory's user is not found: the usual rules apply.
    const provider = await request(app.url).get(`/api/identity-providers/${providerId}`).set('cookie', adminCookie);
    expect(provider.body.scimExternalIdClaim).toBeNull();
    const patched = await request(app.url)
      .patch(`/api/identity-providers/${providerId}`)
      .set('cookie', adminCookie)
      .send({ scimExternalIdClaim: 'sub' })
      .expect(200);
    expect(patched.body.scimExternalIdClaim).toBe('sub');
    await request(app.url)
      .patch(`/api/identity-providers/${providerId}`)
      .set('cookie', adminCookie)
      .send({ scimExternalIdClaim: 'not a claim' })
      .expect(400);

    const first = await signIn('kim-sub');
    expect(first.session).not.toBeNull();
    const session = await whoAmI(first.session!);
    expect(session.user).toMatchObject({ id: kim.id, username: 'kim' });
    expect(session.hasPassword).toBe(false);
    expect((await whoAmI(adminCookie)).hasPassword).toBe(true);
    expect(await identitiesOf(kim.id)).toEqual([{ subject: 'kim-sub' }]);
    const audit: { reason: string; actor_id: string }[] = await app.instance.dataSource.query(
      `SELECT reason, actor_id::text AS actor_id FROM audit_events WHERE action = 'identity.link' AND target_id = $1`,
      [kim.id],
    );
    expect(audit).toEqual([{ reason: 'scim externalId', actor_id: kim.id }]);
    // The next sign-in finds the identity by issuer and subject.
    expect((await whoAmI((await signIn('kim-sub')).session!)).user.id).toBe(kim.id);

    // Another externalId with the same e-mail: never linked; the usual first sign-in creates someone.
    const lee = await createScimUser('lee', 'lee-directory-id');
    op.users.set('lee-sub', { email: 'lee@acme.test', email_verified: true, preferred_username: 'lee' });
    const other = await signIn('lee-sub');
    expect(other.session).not.toBeNull();
    expect((await whoAmI(other.session!)).user.id).not.toBe(lee.id);
    expect(await identitiesOf(lee.id)).toEqual([]);

    // An account created here whose externalId the directory wrote later is not the directory's.
    await scim('patch', `/Users/${adminId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'externalId', value: 'takeover-sub' }],
    }).expect(200);
    op.users.set('takeover-sub', { email: 'takeover@acme.test', email_verified: true, preferred_username: 'takeover' });
    const takeover = await signIn('takeover-sub');
    expect((await whoAmI(takeover.session!)).user.id).not.toBe(adminId);
    expect(await identitiesOf(adminId)).toEqual([]);

    // A deactivated directory user is refused, and no one else is created in their place.
    const max = await createScimUser('max', 'max-sub', false);
    op.users.set('max-sub', { email: 'max@acme.test', email_verified: true, preferred_username: 'max-at-idp' });
    expectRefused(await signIn('max-sub'), /deactivated/);
    expect(await identitiesOf(max.id)).toEqual([]);
    const made = await app.instance.dataSource.query(`SELECT 1 FROM dashboard_users WHERE username = 'max-at-idp'`);
    expect(made).toEqual([]);
  });

  // Last: a second app in this process, closed at the end of the case.
  it('takes e-mail, name and groups from the userinfo answer when the ID token leaves them out (as Okta does)', async () => {
    const thin = await startTestOp([`${DASHBOARD_ORIGIN}/api/dashboard-auth/oidc/other/callback`], {
      thinIdTokens: true,
    });
    let otherId: string | null = null;
    try {
      thin.users.set('olga-sub', {
        email: 'olga@acme.test',
        email_verified: true,
        preferred_username: 'olga',
        groups: ['engineering'],
      });
      const created = await request(app.url)
        .post('/api/identity-providers')
        .set('cookie', adminCookie)
        .send(providerSettings(thin, { slug: 'other', name: 'Thin tokens' }))
        .expect(201);
      otherId = created.body.id;
      let idTokenClaims: Record<string, unknown> = {};
      thin.craft = (claims, tools) => {
        idTokenClaims = claims;
        return tools.sign(claims);
      };
      thin.nextLogin = { sub: 'olga-sub' };
      const start = await request(app.url).get('/api/dashboard-auth/oidc/other/start').expect(302);
      const stateCookie = cookiesOf(start)
        .find((value) => value.startsWith('codex_lb_oidc='))!
        .split(';')[0];
      const query = await thin.authorize(start.headers.location);
      const callback = await request(app.url)
        .get(`/api/dashboard-auth/oidc/other/callback?${query}`)
        .set('cookie', stateCookie);
      // The ID token said nothing but who and how: the rest came from userinfo.
      expect(idTokenClaims.sub).toBe('olga-sub');
      expect(idTokenClaims.email).toBeUndefined();
      expect(idTokenClaims.groups).toBeUndefined();
      expect(callback.status).toBe(302);
      const session = sessionFrom(cookiesOf(callback));
      expect(session).not.toBeNull();
      const who = await whoAmI(session!);
      expect(who.user).toMatchObject({ username: 'olga', role: 'user' });
      const members = await request(app.url)
        .get(`/api/groups/${engineersGroup}/members`)
        .set('cookie', adminCookie)
        .expect(200);
      expect(JSON.stringify(members.body)).toContain(who.user.id);
    } finally {
      if (otherId) await request(app.url).delete(`/api/identity-providers/${otherId}`).set('cookie', adminCookie);
      await thin.close();
    }
  });

  it('with two-factor sign-in required, a trusted provider’s second factor satisfies it for that session only; without it, someone with no password enrols on a recent sign-in', async () => {
    const main = app;
    const strict = await startTestApp({ env: { CODEX_LB_MFA_REQUIRED: 'everyone' } });
    try {
      app = strict;
      const admin = sessionCookie(
        await request(app.url).post(LOGIN).send({ username: 'admin', password: ADMIN_PASSWORD }).expect(200),
      );
      // The admin's own enrolment is not what this case is about.
      await app.instance.dataSource.query(`UPDATE dashboard_sessions SET mfa_at_provider = true`);
      await request(app.url)
        .post('/api/identity-providers')
        .set('cookie', admin)
        .send({
          slug: SLUG,
          name: 'Acme SSO',
          issuer: op.issuer,
          clientId: op.clientId,
          clientSecret: op.clientSecret,
          scopes: ['openid', 'email', 'profile', 'groups'],
          createUsers: true,
          acceptAmrAsMfa: true,
        })
        .expect(201);
      op.users.set('judy-sub', { email: 'judy@acme.test', email_verified: true, preferred_username: 'judy' });
      op.craft = (claims, tools) => tools.sign({ ...claims, amr: ['pwd', 'otp'] });
      const withFactor = await signIn('judy-sub');
      await request(app.url).get('/api/me/identities').set('cookie', withFactor.session!).expect(200);
      const without = await signIn('judy-sub');
      const refused = await request(app.url).get('/api/me/identities').set('cookie', without.session!).expect(403);
      expect(refused.body.error.code).toBe('mfa_enrolment_required');

      // Judy has no password to re-enter: her sign-in at the provider, if recent, is the proof.
      // Someone with a password still has to send it.
      const noPassword = await request(app.url)
        .post('/api/me/mfa/totp/setup')
        .set('cookie', admin)
        .send({})
        .expect(400);
      expect(noPassword.body.error.message).toMatch(/current password/);
      await app.instance.dataSource.query(
        `UPDATE dashboard_users SET password_changed_at = password_changed_at - interval '1 hour' WHERE username = 'judy'`,
      );
      await app.instance.dataSource.query(
        `UPDATE dashboard_sessions s SET created_at = s.created_at - interval '11 minutes'
           FROM dashboard_users u WHERE u.id = s.user_id AND u.username = 'judy'`,
      );
      const stale = await request(app.url)
        .post('/api/me/mfa/totp/setup')
        .set('cookie', without.session!)
        .send({})
        .expect(401);
      expect(stale.body.error.code).toBe('reauthentication_required');
      const fresh = await signIn('judy-sub');
      const setup = await request(app.url)
        .post('/api/me/mfa/totp/setup')
        .set('cookie', fresh.session!)
        .send({})
        .expect(200);
      await request(app.url)
        .post('/api/me/mfa/totp/confirm')
        .set('cookie', fresh.session!)
        .send({ code: totpCode(setup.body.secret) })
        .expect(200);
      await request(app.url).get('/api/me/identities').set('cookie', fresh.session!).expect(200);
    } finally {
      app = main;
      await strict.close();
    }
  });
});
