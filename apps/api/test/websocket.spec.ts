// Responses over WebSocket through the gateway, against the fake upstream's WebSocket side: a Codex
// conversation (warm-up, turns with previous_response_id and only the new items) stays on one
// account, every turn is metered like an HTTP request (one log row with its tokens) and warm-ups
// are not, an unusable account closes the socket instead of bridging elsewhere, revocation closes
// the socket within a second, refusals are HTTP answers (426 to fall back), and no upstream socket
// outlives its client.
import request from 'supertest';
import { DomainEvents } from '../src/common/events';
import { ProxyWebSockets } from '../src/modules/proxy/websocket/proxy-websockets';
import { createUserSession } from './support/app';
import { addAccount, codexBody, createKey, flushLogs, postCodex, startWorld, type World } from './support/proxy-world';
import { connectWs, refusedWs, wsUrl, type Frame } from './support/ws-client';

const message = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });

function createBody(items: unknown[], extra: Record<string, unknown> = {}) {
  return {
    model: 'gpt-5.1-codex',
    instructions: 'You are Codex.',
    input: items,
    tools: [],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    store: false,
    include: [],
    ...extra,
  };
}

const completed = (frames: Frame[]) => frames.find((f) => f.type === 'response.completed')?.response;

describe('proxy: Responses over WebSocket', () => {
  let w: World;
  let aliceKey: { key: string; id: string };
  let aliceSeats: string[];
  let bobSeat: string;

  beforeAll(async () => {
    w = await startWorld({}, { tap: false });
    const a1 = await addAccount(w, w.alice.cookie, 'ws-alice-1@example.com');
    const a2 = await addAccount(w, w.alice.cookie, 'ws-alice-2@example.com');
    // More accounts: the two failover cases and the limit case each take one out for a while.
    const a3 = await addAccount(w, w.alice.cookie, 'ws-alice-3@example.com');
    const a4 = await addAccount(w, w.alice.cookie, 'ws-alice-4@example.com');
    const b = await addAccount(w, w.bob.cookie, 'ws-bob@example.com');
    aliceSeats = [a1, a2, a3, a4].map((a) => a.seat.chatgptAccountId);
    bobSeat = b.seat.chatgptAccountId;
    aliceKey = await createKey(w, w.alice.cookie, { name: 'ws key' });
  });
  afterAll(() => w.close());

  const url = () => wsUrl(w.app.url);
  const auth = (key: string, session = `sess-${Math.random()}`) => ({
    authorization: `Bearer ${key}`,
    'session-id': session,
    originator: 'codex_exec',
    'user-agent': 'codex_exec/0.169.0 (spec)',
  });
  const wsTurns = () => w.fake.requests.filter((r) => r.transport === 'websocket');
  const logRows = async (keyId: string) => {
    await flushLogs(w);
    return w.app.instance.dataSource.query(
      `SELECT status, http_status, route, input_tokens, output_tokens, cached_input_tokens, ttfb_ms, latency_ms,
              account_id, cost_usd, error_code
         FROM request_logs WHERE api_key_id = $1 ORDER BY requested_at`,
      [keyId],
    );
  };

  it('runs a warm-up and several turns with previous_response_id on one account; one log row per turn', async () => {
    const key = await createKey(w, w.alice.cookie, { name: 'conversation' });
    const before = wsTurns().length;
    const upgradesBefore = w.fake.websocketStats.upgrades;
    const client = await connectWs(url(), auth(key.key));
    expect(client.upgradeHeaders['x-codex-turn-state']).toMatch(/^ts_/);
    expect(client.upgradeHeaders['x-models-etag']).toBeDefined();

    const warm = await client.turn(createBody([], { generate: false }));
    const warmId = completed(warm).id;
    expect(warmId).toMatch(/^resp_/);

    const first = await client.turn(createBody([message('first question')], { previous_response_id: warmId }));
    const firstResponse = completed(first);
    expect(JSON.stringify(firstResponse.output)).toContain('Echo: first question');
    expect(first.some((f) => f.type === 'response.output_text.delta')).toBe(true);

    const second = await client.turn(
      createBody([message('second question')], { previous_response_id: firstResponse.id }),
    );
    const secondResponse = completed(second);
    expect(JSON.stringify(secondResponse.output)).toContain('Echo: second question');
    const third = await client.turn(createBody([message('third')], { previous_response_id: secondResponse.id }));
    expect(completed(third)).toBeDefined();

    // One upstream socket, one account, every turn on it; only the new items went up.
    const sent = wsTurns().slice(before);
    expect(sent).toHaveLength(4);
    expect(new Set(sent.map((r) => r.chatgptAccountId)).size).toBe(1);
    expect(aliceSeats).toContain(sent[0].chatgptAccountId);
    expect((sent[2].body as { input: unknown[] }).input).toHaveLength(1);
    expect(sent[2].headers.authorization).not.toContain('sk-clb-');
    expect(w.fake.websocketStats.upgrades).toBe(upgradesBefore + 1);
    client.close();
    await client.closed;

    // Three billed turns (the warm-up is not one), each with the upstream's own token counts.
    const rows = await logRows(key.id);
    expect(rows).toHaveLength(3);
    const usages = [firstResponse.usage, secondResponse.usage, completed(third).usage];
    rows.forEach((row: Record<string, any>, i: number) => {
      expect(row).toMatchObject({ status: 'success', http_status: 200, route: '/backend-api/codex/responses' });
      expect(row.input_tokens).toBe(usages[i].input_tokens);
      expect(row.output_tokens).toBe(usages[i].output_tokens);
      expect(row.ttfb_ms).not.toBeNull();
      expect(Number(row.cost_usd)).toBeGreaterThan(0);
    });
    const usage = await request(w.app.url).get('/v1/usage').set('authorization', `Bearer ${key.key}`).expect(200);
    expect(JSON.stringify(usage.body)).toBeTruthy();
  });

  it('fails a previous_response_id from another socket as the upstream does (no bridging)', async () => {
    const one = await connectWs(url(), auth(aliceKey.key));
    const answered = completed(await one.turn(createBody([message('on socket one')])));
    const two = await connectWs(url(), auth(aliceKey.key));
    const frames = await two.turn(createBody([message('continue')], { previous_response_id: answered.id }));
    expect(frames[frames.length - 1]).toMatchObject({ type: 'error', status: 400 });
    expect(frames[frames.length - 1].error.code).toBe('previous_response_not_found');
    one.close();
    two.close();
  });

  it('moves a socket to another account only before its first event: a refused warm-up is sent elsewhere', async () => {
    const key = await createKey(w, w.alice.cookie, { name: 'failover' });
    const session = `sess-failover-${Date.now()}`;
    // The session is bound to an account by an HTTP request first, so the socket lands there.
    await postCodex(w, key.key, codexBody('bind the session'), { 'session-id': session }).expect(200);
    const bound = w.fake.requests[w.fake.requests.length - 1].chatgptAccountId!;
    w.fake.failNext(bound, { status: 500 });
    const upgrades = w.fake.websocketStats.upgrades;
    const client = await connectWs(url(), auth(key.key, session));
    const warm = await client.turn(createBody([], { generate: false }));
    expect(warm.map((f) => f.type)).not.toContain('error');
    const warmId = completed(warm).id;
    expect(w.fake.websocketStats.upgrades).toBe(upgrades + 2);
    const turn = await client.turn(createBody([message('after the failover')], { previous_response_id: warmId }));
    expect(completed(turn)).toBeDefined();
    const other = wsTurns()[wsTurns().length - 1].chatgptAccountId;
    expect(other).not.toBe(bound);
    expect(aliceSeats).toContain(other);
    client.close();
    await client.closed;
    // Only the turn is billed, on the account that served it.
    const rows = await logRows(key.id);
    expect(rows.filter((r: { route: string }) => r.route === '/backend-api/codex/responses')).toHaveLength(2);
  });

  it("moves a socket's first turn (no warm-up) to another account when its first event refuses it", async () => {
    const key = await createKey(w, w.alice.cookie, { name: 'failover turn' });
    const session = `sess-failover-turn-${Date.now()}`;
    await postCodex(w, key.key, codexBody('bind the session'), { 'session-id': session }).expect(200);
    const bound = w.fake.requests[w.fake.requests.length - 1].chatgptAccountId!;
    w.fake.failNext(bound, { status: 502 });
    const client = await connectWs(url(), auth(key.key, session));
    const frames = await client.turn(createBody([message('first turn, refused by the first account')]));
    expect(frames.map((f) => f.type)).not.toContain('error');
    expect(completed(frames)).toBeDefined();
    const served = wsTurns()[wsTurns().length - 1].chatgptAccountId;
    expect(served).not.toBe(bound);
    client.close();
    await client.closed;
    // One row for the turn, a success on the account that served it.
    const rows = await logRows(key.id);
    const turnRows = rows.filter((r: { status: string; account_id: string }) => r.status === 'success');
    expect(turnRows).toHaveLength(2);
    expect(new Set(turnRows.map((r: { account_id: string }) => r.account_id)).size).toBe(2);
  });

  it('never moves a socket to another account: an account at its limit closes the socket with the error', async () => {
    const key = await createKey(w, w.alice.cookie, { name: 'limit' });
    const client = await connectWs(url(), auth(key.key));
    const first = completed(await client.turn(createBody([message('before the limit')])));
    const bound = wsTurns()[wsTurns().length - 1].chatgptAccountId!;
    const upgrades = w.fake.websocketStats.upgrades;
    const requestsBefore = w.fake.requests.length;
    w.fake.failNext(bound, { status: 429, resetsInSeconds: 600 });
    const frames = await client.turn(createBody([message('after')], { previous_response_id: first.id }));
    const error = frames[frames.length - 1];
    expect(error).toMatchObject({ type: 'error', status: 429 });
    const closed = await client.closed;
    expect(closed.code).toBe(1011);
    // No other account was tried on this socket: no new upstream socket, no other request.
    expect(w.fake.websocketStats.upgrades).toBe(upgrades);
    expect(w.fake.requests.slice(requestsBefore).every((r) => r.chatgptAccountId === bound)).toBe(true);
    const rows = await logRows(key.id);
    expect(rows[rows.length - 1]).toMatchObject({ status: 'error', http_status: 429 });
    // The account is cooling down: the next socket goes to the other one.
    const next = await connectWs(url(), auth(key.key));
    await next.turn(createBody([message('elsewhere')]));
    expect(wsTurns()[wsTurns().length - 1].chatgptAccountId).not.toBe(bound);
    next.close();
    w.fake.reset();
  });

  it("keeps user A's sockets on A's accounts", async () => {
    for (let i = 0; i < 6; i++) {
      const client = await connectWs(url(), auth(aliceKey.key, `shared-session-${i}`));
      await client.turn(createBody([message(`alice ${i}`)]));
      client.close();
    }
    const bob = await createKey(w, w.bob.cookie, { name: 'bob ws' });
    const bobClient = await connectWs(url(), auth(bob.key, 'shared-session-0'));
    await bobClient.turn(createBody([message('bob')]));
    bobClient.close();
    const turns = wsTurns();
    for (const turn of turns.filter((t) => JSON.stringify(t.body).includes('alice '))) {
      expect(aliceSeats).toContain(turn.chatgptAccountId);
    }
    expect(turns[turns.length - 1].chatgptAccountId).toBe(bobSeat);
  });

  it('admits every turn against the key: its request limit, its models (an error frame and a log row each)', async () => {
    const key = await createKey(w, w.alice.cookie, {
      name: 'limited ws',
      allowedModels: ['gpt-5.1-codex'],
      limits: [{ kind: 'requests', window: 'minute', max: 2 }],
    });
    const client = await connectWs(wsUrl(w.app.url, '/v1/responses'), auth(key.key));
    const warm = completed(await client.turn(createBody([], { generate: false })));
    const one = completed(await client.turn(createBody([message('one')], { previous_response_id: warm.id })));
    await client.turn(createBody([message('two')], { previous_response_id: one.id }));
    const three = await client.turn(createBody([message('three')]));
    expect(three[three.length - 1]).toMatchObject({ type: 'error', status: 429 });
    const model = await client.turn(createBody([message('other model')], { model: 'gpt-5' }));
    expect(model[model.length - 1]).toMatchObject({ type: 'error', status: 403 });
    expect(model[model.length - 1].error.code).toBe('model_not_allowed');
    // Refusals leave the socket open: it is the turn that was refused.
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.close();
    const rows = await logRows(key.id);
    expect(rows.map((r: { http_status: number }) => r.http_status)).toEqual([200, 200, 429, 403]);
    expect(rows[0].route).toBe('/v1/responses');
  });

  it('refuses a bad key on the upgrade with the HTTP status and the OpenAI envelope', async () => {
    const missing = await refusedWs(url(), {});
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('missing_api_key');
    const unknown = await refusedWs(url(), auth('sk-clb-unknown-key-0000000000000000000000000000'));
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toMatchObject({ code: 'invalid_api_key' });
  });

  it('closes a revoked key’s open socket within a second, with an error frame', async () => {
    const key = await createKey(w, w.alice.cookie, { name: 'to revoke' });
    const client = await connectWs(url(), auth(key.key));
    await client.turn(createBody([message('before revocation')]));
    const started = Date.now();
    await request(w.app.url).delete(`/api/api-keys/${key.id}`).set('cookie', w.alice.cookie).expect(204);
    const frame = await client.next(2_000);
    expect(frame).toMatchObject({ type: 'error', status: 401 });
    const closed = await client.closed;
    expect(closed.at - started).toBeLessThan(1_000);
    expect(closed.code).toBe(1008);
  });

  it("closes a deactivated owner's sockets within a second", async () => {
    const dave = await createUserSession(w.app, w.admin, 'dave');
    await addAccount(w, dave.cookie, 'ws-dave@example.com');
    const key = await createKey(w, dave.cookie, { name: 'dave ws' });
    const client = await connectWs(url(), auth(key.key));
    await client.turn(createBody([message('before deactivation')]));
    const started = Date.now();
    await request(w.app.url)
      .patch(`/api/users/${dave.id}`)
      .set('cookie', w.admin)
      .set('origin', 'http://localhost:3000')
      .send({ isActive: false })
      .expect(200);
    const frame = await client.next(2_000);
    expect(frame).toMatchObject({ type: 'error', status: 401 });
    const closed = await client.closed;
    expect(closed.at - started).toBeLessThan(1_000);
  });

  it("closes a socket whose owner's role loses proxy:use within a second", async () => {
    const roles = await request(w.app.url).get('/api/roles').set('cookie', w.admin).expect(200);
    const userPermissions: string[] = roles.body.items.find(
      (role: { slug: string }) => role.slug === 'user',
    ).permissions;
    const role = await request(w.app.url)
      .post('/api/roles')
      .set('cookie', w.admin)
      .set('origin', 'http://localhost:3000')
      .send({ slug: 'ws-coder', name: 'WS coder', permissions: userPermissions })
      .expect(201);
    const erin = await createUserSession(w.app, w.admin, 'erin');
    await request(w.app.url)
      .patch(`/api/users/${erin.id}`)
      .set('cookie', w.admin)
      .set('origin', 'http://localhost:3000')
      .send({ role: 'ws-coder' })
      .expect(200);
    await addAccount(w, erin.cookie, 'ws-erin@example.com');
    const key = await createKey(w, erin.cookie, { name: 'erin ws' });
    const client = await connectWs(url(), auth(key.key));
    await client.turn(createBody([message('before the role change')]));
    const started = Date.now();
    await request(w.app.url)
      .patch(`/api/roles/${role.body.id}`)
      .set('cookie', w.admin)
      .set('origin', 'http://localhost:3000')
      .send({ permissions: userPermissions.filter((permission) => permission !== 'proxy:use') })
      .expect(200);
    const frame = await client.next(2_000);
    expect(frame).toMatchObject({ type: 'error', status: 403 });
    const closed = await client.closed;
    expect(closed.at - started).toBeLessThan(1_000);
    expect(closed.code).toBe(1008);
  });

  it('rechecks every open socket after missed invalidations (a resync), closing a key revoked meanwhile', async () => {
    const key = await createKey(w, w.alice.cookie, { name: 'missed revocation' });
    const kept = await createKey(w, w.alice.cookie, { name: 'still valid' });
    const revoked = await connectWs(url(), auth(key.key));
    const valid = await connectWs(url(), auth(kept.key));
    await revoked.turn(createBody([message('before')]));
    await valid.turn(createBody([message('before')]));
    // Revoked where this replica did not hear of it: its invalidation was missed.
    await w.app.instance.dataSource.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [key.id]);
    const started = Date.now();
    w.app.instance.app.get(DomainEvents).emitLocal('caches.resync', {});
    expect(await revoked.next(2_000)).toMatchObject({ type: 'error', status: 401 });
    const closed = await revoked.closed;
    expect(closed.at - started).toBeLessThan(1_000);
    // The other socket was checked too, and carries on.
    const after = await valid.turn(createBody([message('after the resync')]));
    expect(completed(after)).toBeTruthy();
    valid.close();
  });

  it('surfaces the upstream connection age limit as the retryable error, then closes', async () => {
    const client = await connectWs(url(), auth(aliceKey.key));
    w.fake.configure({ websocketMaxAgeMs: 1 });
    await new Promise((r) => setTimeout(r, 5));
    try {
      const frames = await client.turn(createBody([message('too late')]));
      expect(frames[frames.length - 1]).toMatchObject({ type: 'error' });
      expect(frames[frames.length - 1].error.code).toBe('websocket_connection_limit_reached');
      await client.closed;
    } finally {
      w.fake.configure({ websocketMaxAgeMs: 60 * 60_000 });
    }
  });

  it('answers 426 when the upstream refuses the upgrade, so the client falls back to HTTP', async () => {
    w.fake.configure({ websockets: false });
    try {
      const refused = await refusedWs(url(), auth(aliceKey.key));
      expect(refused.status).toBe(426);
      expect(refused.body.error.code).toBe('upgrade_required');
    } finally {
      w.fake.configure({ websockets: true });
    }
  });

  it('leaves no upstream socket open after 200 sockets opened and closed', async () => {
    const sockets = w.app.instance.app.get(ProxyWebSockets);
    for (let batch = 0; batch < 10; batch++) {
      const clients = await Promise.all(Array.from({ length: 20 }, () => connectWs(url(), auth(aliceKey.key))));
      expect(w.fake.websocketStats.open).toBeGreaterThanOrEqual(20);
      // Half leave cleanly, half just drop the connection.
      clients.forEach((client, i) => (i % 2 ? client.close() : client.ws.terminate()));
      await Promise.all(clients.map((client) => client.closed));
    }
    const deadline = Date.now() + 5_000;
    while ((w.fake.websocketStats.open > 0 || sockets.open > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(w.fake.websocketStats.open).toBe(0);
    expect(sockets.open).toBe(0);
  });
});

describe('proxy: WebSocket turned off', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ CODEX_LB_WEBSOCKETS: 'false' }, { tap: false });
  });
  afterAll(() => w.close());

  it('answers the upgrade with 426 and the OpenAI envelope, before any upstream work', async () => {
    await addAccount(w, w.alice.cookie, 'ws-off@example.com');
    const { key } = await createKey(w, w.alice.cookie);
    const refused = await refusedWs(wsUrl(w.app.url), { authorization: `Bearer ${key}` });
    expect(refused.status).toBe(426);
    expect(refused.body.error).toMatchObject({ code: 'upgrade_required' });
    expect(w.fake.websocketStats.upgrades).toBe(0);
  });
});

describe('proxy: WebSocket bounds (open-socket caps, idle timeout, shutdown)', () => {
  let w: World;
  let key: string;
  let keyId: string;
  let appClosed = false;
  beforeAll(async () => {
    w = await startWorld(
      { CODEX_LB_MAX_WEBSOCKETS_PER_KEY: '2', CODEX_LB_WEBSOCKET_IDLE_TIMEOUT_SECONDS: '2' },
      { tap: false },
    );
    await addAccount(w, w.alice.cookie, 'ws-bounds@example.com');
    ({ key, id: keyId } = await createKey(w, w.alice.cookie));
  });
  afterAll(async () => {
    if (!appClosed) return w.close();
    await w.tap.close();
    await w.fake.close();
  });
  const headers = () => ({ authorization: `Bearer ${key}` });

  it('refuses a socket over the per-key cap with 429, and takes one again when a socket closes', async () => {
    const one = await connectWs(wsUrl(w.app.url), headers());
    const two = await connectWs(wsUrl(w.app.url), headers());
    const refused = await refusedWs(wsUrl(w.app.url), headers());
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('concurrency_limit_exceeded');
    // A refusal after the key check leaves a log row, as over HTTP.
    await flushLogs(w);
    const rows = await w.app.instance.dataSource.query(
      `SELECT http_status, error_code FROM request_logs WHERE api_key_id = $1`,
      [keyId],
    );
    expect(rows).toEqual([{ http_status: 429, error_code: 'concurrency_limit_exceeded' }]);
    one.close();
    await one.closed;
    await new Promise((r) => setTimeout(r, 50));
    const three = await connectWs(wsUrl(w.app.url), headers());
    two.close();
    three.close();
    await Promise.all([two.closed, three.closed]);
  });

  it('closes an idle socket (and its upstream socket)', async () => {
    const client = await connectWs(wsUrl(w.app.url), headers());
    await client.turn(createBody([message('then silence')]));
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    expect(closed.reason).toMatch(/idle/i);
    await new Promise((r) => setTimeout(r, 100));
    expect(w.fake.websocketStats.open).toBe(0);
  }, 15_000);

  it('finishes the turn in flight at shutdown, then closes the socket with 1001', async () => {
    const client = await connectWs(wsUrl(w.app.url), headers());
    w.fake.configure({ eventDelayMs: 40 });
    const turn = client.turn(createBody([message('a slow answer during shutdown')]));
    // Shut down once the turn is in flight (its first frame arrived), not after a fixed delay: on
    // a loaded machine 60 ms could pass before the turn reached the upstream at all.
    const deadline = Date.now() + 10_000;
    while (client.frames.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const closing = w.app.close();
    appClosed = true;
    const frames = await turn;
    expect(frames[frames.length - 1].type).toBe('response.completed');
    const closed = await client.closed;
    expect(closed.code).toBe(1001);
    await closing;
    expect(w.fake.websocketStats.open).toBe(0);
  }, 30_000);
});
