import request from 'supertest';
import { fetch } from 'undici';
import { parseSse } from '../src/fake-upstream';
import { AuditSealer } from '../src/modules/audit/audit-sealer';
import { AuditService } from '../src/modules/audit/audit.service';
import { AccountPool } from '../src/modules/proxy/routing/account-pool';
import { bodyBuffersFree } from '../src/modules/proxy/wire/body-buffers';
import { createUserSession } from './support/app';
import { addAccount, codexBody, createKey, flushLogs, startWorld, type World, postCodex } from './support/proxy-world';

describe('proxy: Codex and OpenAI routes', () => {
  let w: World;
  let aliceKey: string;
  let aliceA: { seat: any; id: string };
  let aliceB: { seat: any; id: string };
  let bobAccount: { seat: any; id: string };

  beforeAll(async () => {
    w = await startWorld();
    aliceA = await addAccount(w, w.alice.cookie, 'alice-a@example.com');
    aliceB = await addAccount(w, w.alice.cookie, 'alice-b@example.com');
    bobAccount = await addAccount(w, w.bob.cookie, 'bob@example.com');
    aliceKey = (await createKey(w, w.alice.cookie)).key;
  });
  afterAll(() => w.close());

  const codex = (key: string, body: object, headers: Record<string, string> = {}) => postCodex(w, key, body, headers);

  const pool = () => w.app.instance.app.get(AccountPool);
  const seatOfLastRequest = () => w.fake.requests[w.fake.requests.length - 1];

  it('passes a Codex SSE stream through byte for byte with the account token and id', async () => {
    const before = w.tap.responses.length;
    const response = await codex(
      aliceKey,
      codexBody('hello gateway', { temperature: 0.3, prompt_cache_key: 'pck-bytes' }),
      {
        session_id: 'sess-bytes',
        originator: 'codex_exec',
        'user-agent': 'codex_exec/0.169.0 (test)',
        'x-codex-turn-metadata': '{"turn_id":"t1"}',
      },
    ).expect(200);
    expect(response.headers['content-type']).toMatch(/text\/event-stream/);
    expect(w.tap.responses.length).toBe(before + 1);
    expect(Buffer.from(response.text)).toEqual(w.tap.responses[before]);
    const events = parseSse(response.text).map((e) => e.event);
    expect(events).toContain('response.completed');

    const sent = seatOfLastRequest();
    const seat = [aliceA.seat, aliceB.seat].find((s) => s.chatgptAccountId === sent.chatgptAccountId);
    expect(seat).toBeDefined();
    expect(sent.accessToken).toBe(seat.accessToken);
    expect(sent.headers['chatgpt-account-id']).toBe(seat.chatgptAccountId);
    expect(JSON.stringify(sent.headers)).not.toContain('sk-clb-');
    expect(sent.headers.session_id).toBe('sess-bytes');
    expect(sent.headers['x-codex-turn-metadata']).toBe('{"turn_id":"t1"}');
    expect(sent.headers.originator).toBe('codex_exec');
    const body = sent.body as Record<string, unknown>;
    expect(body).toMatchObject({ stream: true, store: false, model: 'gpt-5.1-codex' });
    expect(body).not.toHaveProperty('temperature');
  });

  it('refuses a missing, unknown and revoked key in the OpenAI envelope, revoked on the very next request', async () => {
    const missing = await request(w.app.url).post('/v1/responses').send(codexBody('x')).expect(401);
    expect(missing.body).toEqual({
      error: { message: expect.any(String), type: 'authentication_error', code: 'missing_api_key', param: null },
    });
    const unknown = await codex('sk-clb-not-a-real-key', codexBody('x')).expect(401);
    expect(unknown.body.error.code).toBe('invalid_api_key');

    const { key, id } = await createKey(w, w.alice.cookie, { name: 'short-lived' });
    await codex(key, codexBody('works')).expect(200);
    await request(w.app.url).delete(`/api/api-keys/${id}`).set('cookie', w.alice.cookie).expect(204);
    const revoked = await codex(key, codexBody('refused')).expect(401);
    expect(revoked.body.error.code).toBe('invalid_api_key');
  });

  it("never serves a user's key from another owner's account, even when all of theirs are cooling down", async () => {
    const carolCookie = w.bob.cookie;
    const bobKey = (await createKey(w, carolCookie)).key;
    const aliceBefore = w.fake.requestCount(aliceA.seat) + w.fake.requestCount(aliceB.seat);
    w.fake.failNext(bobAccount.seat, { status: 429, resetsInSeconds: 900 });
    const limited = await codex(bobKey, codexBody('bob asks')).expect(429);
    expect(limited.body.error.code).toBe('all_accounts_rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(800);
    const again = await codex(bobKey, codexBody('bob asks again')).expect(429);
    expect(again.body.error.message).toMatch(/resets at/);
    expect(w.fake.requestCount(aliceA.seat) + w.fake.requestCount(aliceB.seat)).toBe(aliceBefore);
    // Cooldown honoured until the reset: a resume clears it.
    await request(w.app.url).post(`/api/accounts/${bobAccount.id}/pause`).set('cookie', w.bob.cookie).expect(200);
    await request(w.app.url).post(`/api/accounts/${bobAccount.id}/resume`).set('cookie', w.bob.cookie).expect(200);
    await new Promise((r) => setTimeout(r, 100));
    await codex(bobKey, codexBody('after resume')).expect(200);
  });

  it('says why when a key has no account to use', async () => {
    const { key } = await createKey(w, w.admin);
    const response = await codex(key, codexBody('admin has no accounts')).expect(503);
    expect(response.body.error.code).toBe('no_accounts');
  });

  it('respects the key account allowlist and model allowlist', async () => {
    const { key } = await createKey(w, w.alice.cookie, { accountIds: [aliceB.id], allowedModels: ['gpt-5.1-codex'] });
    const before = w.fake.requestCount(aliceA.seat);
    for (let i = 0; i < 5; i++) await codex(key, codexBody(`only B ${i}`)).expect(200);
    expect(w.fake.requestCount(aliceA.seat)).toBe(before);
    const denied = await codex(key, codexBody('other model', { model: 'gpt-5.2' })).expect(403);
    expect(denied.body.error.code).toBe('model_not_allowed');
    // Chat: the allowlist is checked before translation, so a body only translation would refuse
    // (an unsupported role) answers 403 for its model, not 400 for its messages.
    const chat = (body: object) =>
      request(w.app.url).post('/v1/chat/completions').set('authorization', `Bearer ${key}`).send(body);
    const odd = [{ role: 'narrator', content: 'x' }];
    const chatDenied = await chat({ model: 'gpt-5.2', messages: odd }).expect(403);
    expect(chatDenied.body.error.code).toBe('model_not_allowed');
    expect((await chat({ model: 'gpt-5.1-codex', messages: odd }).expect(400)).body.error.message).toMatch(
      /Unsupported message role/,
    );
  });

  it('keeps a session on one account (hard) and a prompt cache key on one account (soft)', async () => {
    const seats = () => [w.fake.requestCount(aliceA.seat), w.fake.requestCount(aliceB.seat)];
    let before = seats();
    for (let i = 0; i < 6; i++)
      await codex(aliceKey, codexBody(`turn ${i}`), { session_id: 'sess-sticky' }).expect(200);
    let delta = seats().map((n, i) => n - before[i]);
    expect(delta.sort()).toEqual([0, 6]);

    before = seats();
    for (let i = 0; i < 6; i++)
      await codex(aliceKey, codexBody(`cached ${i}`, { prompt_cache_key: 'pck-soft' })).expect(200);
    delta = seats().map((n, i) => n - before[i]);
    expect(delta.sort()).toEqual([0, 6]);

    // Without a prompt_cache_key, /v1 requests sharing instructions stay together too.
    before = seats();
    const system = `You are terse. ${'Keep every answer short. '.repeat(120)}`;
    for (let i = 0; i < 10; i++) {
      await request(w.app.url)
        .post('/v1/chat/completions')
        .set('authorization', `Bearer ${aliceKey}`)
        .send({
          model: 'gpt-5.1-codex',
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: `question ${i}` },
          ],
        })
        .expect(200);
    }
    delta = seats().map((n, i) => n - before[i]);
    expect(delta.sort()).toEqual([0, 10]);

    // previous_response_id continues on the account that produced the response.
    const first = await request(w.app.url)
      .post('/v1/responses')
      .set('authorization', `Bearer ${aliceKey}`)
      .send({ model: 'gpt-5.1-codex', input: 'start', stream: false })
      .expect(200);
    const servedBy = seatOfLastRequest().chatgptAccountId;
    for (let i = 0; i < 4; i++) {
      await request(w.app.url)
        .post('/v1/responses')
        .set('authorization', `Bearer ${aliceKey}`)
        .send({ model: 'gpt-5.1-codex', input: `next ${i}`, previous_response_id: first.body.id, stream: false })
        .expect(200);
      expect(seatOfLastRequest().chatgptAccountId).toBe(servedBy);
    }

    // When the session's account cannot serve, the error says so instead of switching silently.
    const sessionSeat = [aliceA, aliceB].find((a) => a.seat.chatgptAccountId === servedBy)!;
    await request(w.app.url).post(`/api/accounts/${sessionSeat.id}/pause`).set('cookie', w.alice.cookie).expect(200);
    await new Promise((r) => setTimeout(r, 100));
    const bound = await request(w.app.url)
      .post('/v1/responses')
      .set('authorization', `Bearer ${aliceKey}`)
      .send({ model: 'gpt-5.1-codex', input: 'continue', previous_response_id: first.body.id })
      .expect(409);
    expect(bound.body.error.code).toBe('sticky_account_unavailable');
    await request(w.app.url).post(`/api/accounts/${sessionSeat.id}/resume`).set('cookie', w.alice.cookie).expect(200);
    await new Promise((r) => setTimeout(r, 100));
  });

  it('fails over on 5xx, 429 and 401-after-refresh before the first byte, and cools a 429 down', async () => {
    const pick = async (cacheKey: string) => {
      await codex(aliceKey, codexBody('pin', { prompt_cache_key: cacheKey })).expect(200);
      const id = seatOfLastRequest().chatgptAccountId;
      return id === aliceA.seat.chatgptAccountId ? [aliceA, aliceB] : [aliceB, aliceA];
    };

    let [first, other] = await pick('pck-5xx');
    w.fake.failNext(first.seat, { status: 503 });
    let before = [w.fake.requestCount(first.seat), w.fake.requestCount(other.seat)];
    await codex(aliceKey, codexBody('after 5xx', { prompt_cache_key: 'pck-5xx' })).expect(200);
    expect([w.fake.requestCount(first.seat) - before[0], w.fake.requestCount(other.seat) - before[1]]).toEqual([1, 1]);
    // The 5xx put the account on a short backoff; end it so the next cases start from two usable accounts.
    expect(pool().get(first.id)!.backoffUntil).toBeGreaterThan(Date.now());
    pool().get(first.id)!.backoffUntil = 0;

    [first, other] = await pick('pck-401');
    const refreshesBefore = w.fake.refreshCount(first.seat);
    w.fake.expireAccessToken(first.seat);
    before = [w.fake.requestCount(first.seat), w.fake.requestCount(other.seat)];
    const after401 = await codex(aliceKey, codexBody('after 401', { prompt_cache_key: 'pck-401' }));
    expect(after401.status === 200 ? 'ok' : after401.text).toBe('ok');
    expect(w.fake.refreshCount(first.seat)).toBe(refreshesBefore + 1);
    expect(seatOfLastRequest().chatgptAccountId).toBe(first.seat.chatgptAccountId);

    [first, other] = await pick('pck-429');
    w.fake.failNext(first.seat, { status: 429, resetsInSeconds: 600 });
    await codex(aliceKey, codexBody('after 429', { prompt_cache_key: 'pck-429' })).expect(200);
    expect(seatOfLastRequest().chatgptAccountId).toBe(other.seat.chatgptAccountId);
    before = [w.fake.requestCount(first.seat), w.fake.requestCount(other.seat)];
    for (let i = 0; i < 5; i++) await codex(aliceKey, codexBody(`cooling ${i}`)).expect(200);
    expect(w.fake.requestCount(first.seat)).toBe(before[0]);
    await new Promise((r) => setTimeout(r, 100));
    const cooled = await request(w.app.url).get(`/api/accounts/${first.id}`).set('cookie', w.alice.cookie).expect(200);
    expect(cooled.body.status).toBe('rate_limited');
    expect(new Date(cooled.body.cooldownUntil).getTime()).toBeGreaterThan(Date.now() + 500_000);
    await request(w.app.url).post(`/api/accounts/${first.id}/resume`).set('cookie', w.alice.cookie).expect(200);
    await new Promise((r) => setTimeout(r, 100));
  });

  it('does not fail over after the first byte reached the client', async () => {
    const { key } = await createKey(w, w.alice.cookie, { accountIds: [aliceA.id, aliceB.id] });
    await codex(key, codexBody('pin', { prompt_cache_key: 'pck-mid' })).expect(200);
    const seatId = seatOfLastRequest().chatgptAccountId;
    const seat = seatId === aliceA.seat.chatgptAccountId ? aliceA.seat : aliceB.seat;
    const total = () => w.fake.requestCount(aliceA.seat) + w.fake.requestCount(aliceB.seat);
    w.fake.disconnectMidStream(seat, 3);
    const before = total();
    const response = await fetch(`${w.app.url}/backend-api/codex/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(codexBody('cut', { prompt_cache_key: 'pck-mid' })),
    });
    expect(response.status).toBe(200);
    const text = await response.text().catch(() => '');
    expect(text).not.toContain('response.completed');
    expect(total()).toBe(before + 1);
  });

  it('translates chat completions, streaming and not, with tool calls and usage', async () => {
    const plain = await request(w.app.url)
      .post('/v1/chat/completions')
      .set('authorization', `Bearer ${aliceKey}`)
      .send({
        model: 'gpt-5.1-codex',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hello chat' },
        ],
        temperature: 0.5,
        response_format: { type: 'json_object' },
      })
      .expect(200);
    expect(plain.body).toMatchObject({
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Echo: hello chat' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) },
    });
    const sent = seatOfLastRequest().body as Record<string, any>;
    expect(sent.instructions).toBe('Be brief.');
    expect(sent.input[0]).toMatchObject({ type: 'message', role: 'user' });
    expect(sent.text).toEqual({ format: { type: 'json_object' } });
    expect(sent).not.toHaveProperty('temperature');

    const tools = [
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: {} } },
      },
    ];
    const withTool = await request(w.app.url)
      .post('/v1/chat/completions')
      .set('authorization', `Bearer ${aliceKey}`)
      .send({ model: 'gpt-5.1-codex', messages: [{ role: 'user', content: 'please call the weather tool' }], tools })
      .expect(200);
    const call = withTool.body.choices[0].message.tool_calls[0];
    expect(withTool.body.choices[0].finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: expect.any(String) } });
    expect(seatOfLastRequest().body).toMatchObject({ tools: [{ type: 'function', name: 'get_weather' }] });

    const followUp = await request(w.app.url)
      .post('/v1/chat/completions')
      .set('authorization', `Bearer ${aliceKey}`)
      .send({
        model: 'gpt-5.1-codex',
        messages: [
          { role: 'user', content: 'please call the weather tool' },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: 'sunny' },
        ],
        tools,
      })
      .expect(200);
    expect((seatOfLastRequest().body as any).input).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'function_call', call_id: call.id, name: 'get_weather' }),
        { type: 'function_call_output', call_id: call.id, output: 'sunny' },
      ]),
    );
    expect(followUp.body.choices[0].message.content).toMatch(/sunny/);

    const streamed = await request(w.app.url)
      .post('/v1/chat/completions')
      .set('authorization', `Bearer ${aliceKey}`)
      .send({
        model: 'gpt-5.1-codex',
        messages: [{ role: 'user', content: 'stream me' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .expect(200);
    const lines = streamed.text
      .split('\n\n')
      .filter(Boolean)
      .map((l) => l.replace(/^data: /, ''));
    expect(lines[lines.length - 1]).toBe('[DONE]');
    const chunks = lines.slice(0, -1).map((l) => JSON.parse(l));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Echo: stream me');
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } });
  });

  it('sends every chat body upstream intact while the translated bodies reuse buffers (3 waves of 12)', async () => {
    const before = w.fake.requests.length;
    const asked: string[] = [];
    for (let wave = 0; wave < 3; wave++) {
      const texts = Array.from(
        { length: 12 },
        (_, i) => `wave ${wave} body ${i} ${String.fromCharCode(97 + i).repeat(20_000 + 997 * i)}`,
      );
      asked.push(...texts);
      const answers = await Promise.all(
        texts.map((text) =>
          request(w.app.url)
            .post('/v1/chat/completions')
            .set('authorization', `Bearer ${aliceKey}`)
            .send({ model: 'gpt-5.1-codex', messages: [{ role: 'user', content: text }] }),
        ),
      );
      for (const answer of answers) expect(answer.status).toBe(200);
      // Each wave's buffers went back once its exchanges ended, and the next wave takes them.
      expect(bodyBuffersFree().buffers).toBeGreaterThan(0);
    }
    const sent = w.fake.requests.slice(before).map((r) => {
      const body = r.body as { input: { content: { text: string }[] }[] };
      return body.input[0].content[0].text;
    });
    expect(sent.sort()).toEqual(asked.sort());
  });

  it('lists models filtered by the key and reports the key usage', async () => {
    const { key } = await createKey(w, w.alice.cookie, {
      allowedModels: ['gpt-5.1-codex'],
      limits: [{ kind: 'requests', window: 'minute', max: 100 }],
    });
    const models = await request(w.app.url).get('/v1/models').set('authorization', `Bearer ${key}`).expect(200);
    expect(models.body.object).toBe('list');
    expect(models.body.data.map((m: any) => m.id)).toEqual(['gpt-5.1-codex']);
    const codexModels = await request(w.app.url)
      .get('/backend-api/codex/models?client_version=0.169.0')
      .set('authorization', `Bearer ${key}`)
      .expect(200);
    expect(codexModels.body.models.map((m: any) => m.slug)).toEqual(['gpt-5.1-codex']);
    await codex(key, codexBody('count me')).expect(200);
    const usage = await request(w.app.url).get('/v1/usage').set('authorization', `Bearer ${key}`).expect(200);
    expect(JSON.stringify(usage.body)).not.toMatch(/primary|secondary|used_percent/);
    expect(usage.body.limits[0]).toMatchObject({ kind: 'requests', window: 'minute', max: 100 });
  });

  it('writes one log row per request with tokens and cost, and logs a client abort as cancelled', async () => {
    await flushLogs(w);
    const { key, id } = await createKey(w, w.alice.cookie, { name: 'metered' });
    const responses = [];
    for (let i = 0; i < 3; i++)
      responses.push(await codex(key, codexBody(`meter ${i}`, { prompt_cache_key: 'pck-meter' })).expect(200));
    await flushLogs(w);
    const rows = await w.app.instance.dataSource.query(
      `SELECT * FROM request_logs WHERE api_key_id = $1 ORDER BY requested_at`,
      [id],
    );
    expect(rows).toHaveLength(3);
    for (const [i, row] of rows.entries()) {
      const completed = parseSse(responses[i].text).find((e) => e.event === 'response.completed')!;
      const usage = (completed.data as any).response.usage;
      expect(row).toMatchObject({
        status: 'success',
        route: '/backend-api/codex/responses',
        model: 'gpt-5.1-codex',
        input_tokens: usage.input_tokens,
        cached_input_tokens: usage.input_tokens_details.cached_tokens,
        output_tokens: usage.output_tokens,
        owner_user_id: w.alice.id,
      });
      expect(Number(row.cost_usd)).toBeGreaterThan(0);
      expect(row.ttfb_ms).not.toBeNull();
    }

    w.fake.configure({ eventDelayMs: 150 });
    try {
      const controller = new AbortController();
      const response = await fetch(`${w.app.url}/backend-api/codex/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(codexBody('abort me')),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      w.fake.configure({ eventDelayMs: 0 });
    }
    await flushLogs(w);
    const cancelled = await w.app.instance.dataSource.query(
      `SELECT status, error_code, input_tokens FROM request_logs WHERE api_key_id = $1 AND status = 'cancelled'`,
      [id],
    );
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0].input_tokens).toBeNull();
  });

  it('makes no database round trip per proxied request', async () => {
    // A fresh owner with a fresh account: nothing the cases above did to alice's accounts (a 429's
    // cooldown, a refreshed token, a resume) is still settling while the queries are counted.
    const carol = await createUserSession(w.app, w.admin, 'carol');
    await addAccount(w, carol.cookie, 'carol@example.com');
    const { key } = await createKey(w, carol.cookie, { name: 'hot path' });
    await codex(key, codexBody('warm up')).expect(200);
    await flushLogs(w);
    // Audit rows written so far (the key's creation, denials batched above) are flushed and sealed
    // now, so the sealer has nothing to do meanwhile.
    const sealer = w.app.instance.app.get(AuditSealer);
    await w.app.instance.app.get(AuditService).flush();
    await sealer.sealPending();
    const runner = Object.getPrototypeOf(w.app.instance.dataSource.createQueryRunner());
    const original = runner.query;
    const queries: string[] = [];
    runner.query = function (this: unknown, sql: string, ...rest: unknown[]) {
      queries.push(sql);
      return original.call(this, sql, ...rest);
    };
    const requests = 200;
    try {
      for (let i = 0; i < requests; i++)
        await codex(key, codexBody(`hot ${i}`, { prompt_cache_key: 'pck-hot' })).expect(200);
    } finally {
      runner.query = original;
    }
    const reads = queries.filter((sql) => /^\s*SELECT/i.test(sql) && !/pg_advisory/i.test(sql));
    // No lookup of the key or its owner on the way. (A log batch locks its rows' owners, FOR KEY
    // SHARE, once per batch on the writer's timer: counted below with the other timed work.)
    const lookups = reads.filter(
      (sql) => /FROM (api_keys|dashboard_users|dashboard_sessions|roles)\b/i.test(sql) && !/FOR KEY SHARE/i.test(sql),
    );
    expect(lookups).toEqual([]);
    // What else runs meanwhile is on timers, not per request: the audit sealer's pass (each second
    // while a row may be unsealed), the quota persistence (every 10 s per account), the batched
    // writes of log rows, usage and last-used times (each second). Their count grows with the time
    // the loop takes, which on a loaded CI machine is several seconds; one statement per request
    // would be 200 at least. On failure the statements themselves are printed.
    const fewerThan = (list: string[], bound: number) =>
      expect(list.length < bound ? [] : list.map((sql) => sql.replace(/\s+/g, ' ').slice(0, 100))).toEqual([]);
    fewerThan(reads, requests / 5);
    fewerThan(queries, requests / 2);
  });
});
