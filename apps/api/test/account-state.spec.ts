// Account states on the real app and database: what the proxy reports is persisted by the
// accounts module's rules, an owner's pause is never overwritten by background events, and the
// owner's actions (resume, a new sign-in) end the states they may end.
import request from 'supertest';
import { FakeUpstream, type FakeSeat } from '../src/fake-upstream';
import { AccountStateService } from '../src/modules/accounts/account-state.service';
import { AccountsRepository } from '../src/modules/accounts/accounts.repository';
import { AccountPool } from '../src/modules/proxy/routing/account-pool';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './support/app';

async function eventually<T>(read: () => Promise<T> | T, ok: (value: T) => boolean, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('account states', () => {
  let fake: FakeUpstream;
  let app: TestApp;
  let alice: { id: string; cookie: string };
  let bob: { id: string; cookie: string };
  let states: AccountStateService;
  let pool: AccountPool;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    app = await startTestApp({
      env: {
        CODEX_LB_AUTH_BASE_URL: fake.authBaseUrl,
        CODEX_LB_UPSTREAM_BASE_URL: fake.backendBaseUrl,
        CODEX_LB_OAUTH_CALLBACK_PORT: '0',
        CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      },
    });
    const admin = await login(app, 'admin', ADMIN_PASSWORD);
    alice = await createUserSession(app, admin, 'alice');
    bob = await createUserSession(app, admin, 'bob');
    states = app.instance.app.get(AccountStateService);
    pool = app.instance.app.get(AccountPool);
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  const importSeat = (cookie: string, seat: FakeSeat) =>
    request(app.url).post('/api/accounts/import').set('cookie', cookie).send(fake.authJsonFor(seat));
  const show = async (id: string) =>
    (await request(app.url).get(`/api/accounts/${id}`).set('cookie', alice.cookie).expect(200)).body;
  const addAccount = async (email: string) => {
    const seat = fake.addAccount({ email });
    const account = (await importSeat(alice.cookie, seat).expect(201)).body;
    await eventually(
      () => pool.get(account.id),
      (a) => a !== undefined,
    );
    return { seat, account };
  };

  it('persists an upstream 402 reported by the proxy as deactivated, with its message, until the owner resumes it', async () => {
    const { account } = await addAccount('workspace-402@example.com');
    pool.report(account.id, { type: 'account_refused', status: 402, message: 'This workspace is deactivated.' });
    // In memory at once: not offered again.
    expect(pool.usability(account.id)).toEqual({ usable: false, reason: 'deactivated' });
    const stored = await eventually(
      () => show(account.id),
      (a) => a.status === 'deactivated',
    );
    expect(stored.statusReason).toBe('The upstream refused this account (HTTP 402): This workspace is deactivated.');

    // Only its owner may reactivate it.
    await request(app.url).post(`/api/accounts/${account.id}/resume`).set('cookie', bob.cookie).expect(404);
    const resumed = await request(app.url)
      .post(`/api/accounts/${account.id}/resume`)
      .set('cookie', alice.cookie)
      .expect(200);
    expect(resumed.body).toMatchObject({ status: 'active', statusReason: null });
    await eventually(
      () => pool.usability(account.id),
      (u) => u?.usable === true,
    );
    expect(pool.usability(account.id)).toEqual({ usable: true, reason: 'active' });
  });

  it('persists a 429 cooldown reported by the proxy, and never lets background events override a pause', async () => {
    const { account } = await addAccount('pause-wins@example.com');
    const until = Date.now() + 600_000;
    pool.coolDown(account.id, until, 'The upstream usage limit is reached until the window resets.');
    const cooled = await eventually(
      () => show(account.id),
      (a) => a.status === 'rate_limited',
    );
    expect(new Date(cooled.cooldownUntil).getTime()).toBe(until);

    await request(app.url).post(`/api/accounts/${account.id}/pause`).set('cookie', alice.cookie).expect(200);
    for (const event of [
      { type: 'rate_limited', until: Date.now() + 60_000 },
      { type: 'refresh_refused' },
      { type: 'account_refused', status: 403, message: 'no' },
      {
        type: 'quota',
        primaryUsedPercent: 100,
        secondaryUsedPercent: 0,
        primaryResetsAt: null,
        secondaryResetsAt: null,
      },
      { type: 'reauthenticated' },
    ] as const) {
      await states.applyUnscoped(account.id, event);
    }
    expect(await show(account.id)).toMatchObject({
      status: 'paused',
      statusReason: 'Paused by alice',
      cooldownUntil: null,
    });
  });

  it('writes compare-and-set: a state computed from a stale row is not stored', async () => {
    const { account } = await addAccount('stale-write@example.com');
    const repository = app.instance.app.get(AccountsRepository);
    await request(app.url).post(`/api/accounts/${account.id}/pause`).set('cookie', alice.cookie).expect(200);
    const written = await repository.compareAndSetStatus(
      null,
      account.id,
      { status: 'active', cooldownUntil: null },
      { status: 'rate_limited', statusReason: 'stale', cooldownUntil: new Date(Date.now() + 60_000) },
    );
    expect(written).toBe(false);
    expect((await show(account.id)).status).toBe('paused');
    // Another owner's scope matches nothing.
    const scoped = await repository.compareAndSetStatus(
      { userId: bob.id },
      account.id,
      { status: 'paused', cooldownUntil: null },
      { status: 'active', statusReason: null, cooldownUntil: null },
    );
    expect(scoped).toBe(false);
  });

  it('needs a new sign-in to end reauth_required; a sign-in keeps a pause', async () => {
    const { seat, account } = await addAccount('reauth@example.com');
    await states.applyUnscoped(account.id, { type: 'refresh_refused', message: 'Sign in again.' });
    const refused = await request(app.url)
      .post(`/api/accounts/${account.id}/resume`)
      .set('cookie', alice.cookie)
      .expect(409);
    expect(refused.body.error.message).toMatch(/sign-in/);
    await importSeat(alice.cookie, seat).expect(200);
    expect(await show(account.id)).toMatchObject({ status: 'active', statusReason: null });

    await request(app.url).post(`/api/accounts/${account.id}/pause`).set('cookie', alice.cookie).expect(200);
    await importSeat(alice.cookie, seat).expect(200);
    expect(await show(account.id)).toMatchObject({ status: 'paused', statusReason: 'Paused by alice' });
  });

  it('shows a cooldown that has run out as active', async () => {
    const { account } = await addAccount('expired-cooldown@example.com');
    await app.instance.dataSource.query(
      `UPDATE accounts SET status = 'rate_limited', status_reason = 'x', cooldown_until = now() - interval '1 second' WHERE id = $1`,
      [account.id],
    );
    expect(await show(account.id)).toMatchObject({ status: 'active', statusReason: null, cooldownUntil: null });
  });
});
