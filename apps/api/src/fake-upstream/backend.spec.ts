// Backend behaviour over real HTTP: auth, validation, SSE sequence, usage, tools, cache, catalogue.
import { request } from 'undici';
import { FakeUpstream, parseSse, type FakeSeat } from './index';

let fake: FakeUpstream;
let seat: FakeSeat;

beforeAll(async () => {
  fake = await FakeUpstream.start();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset({ seats: true });
  seat = fake.addAccount({ planType: 'pro' });
});

function codexBody(text: string, extra: Record<string, unknown> = {}) {
  return {
    model: 'gpt-5.1-codex',
    stream: true,
    store: false,
    instructions: 'be brief',
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'rules' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    ],
    ...extra,
  };
}

async function call(path: string, body: unknown, s: { accessToken: string; chatgptAccountId: string } = seat) {
  const res = await request(`${fake.backendBaseUrl}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${s.accessToken}`,
      'chatgpt-account-id': s.chatgptAccountId,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

describe('POST /codex/responses', () => {
  it('streams the full event sequence with an echo of the prompt and usage on completion', async () => {
    const res = await call('/codex/responses', codexBody('hello there, fake model'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.text).toMatch(/^event: codex\.rate_limits\ndata: \{/);
    const events = parseSse(res.text);
    for (const e of events) expect(e.event).toBe(e.data.type);
    const types = events.map((e) => e.event);
    expect(types.filter((t) => t !== 'response.output_text.delta')).toEqual([
      'codex.rate_limits',
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const deltas = events.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta as string);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Echo: hello there, fake model');
    expect(types.indexOf('response.output_text.delta')).toBeGreaterThan(types.indexOf('response.content_part.added'));

    const completed = events.at(-1)!.data.response as any;
    const created = events[1].data.response as any;
    expect(completed.id).toMatch(/^resp_/);
    expect(completed.id).toBe(created.id);
    expect(completed.status).toBe('completed');
    expect(completed.output[0].content[0].text).toBe('Echo: hello there, fake model');
    const u = completed.usage;
    const bytes = Buffer.byteLength(JSON.stringify(codexBody('hello there, fake model')));
    expect(u.input_tokens).toBe(Math.ceil(bytes / 4));
    expect(u.input_tokens_details.cached_tokens).toBe(0);
    expect(u.output_tokens).toBeGreaterThan(0);
    expect(u.output_tokens_details.reasoning_tokens).toBe(0);
    expect(u.total_tokens).toBe(u.input_tokens + u.output_tokens);
    const seqs = events.slice(1).map((e) => e.data.sequence_number);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('sends the rate-limit headers and a matching codex.rate_limits event', async () => {
    fake.setUsage(seat, { primary: 42, secondary: 7, credits: { hasCredits: true, balance: '12.5' } });
    const res = await call('/codex/responses', codexBody('hi'));
    const h = res.headers;
    // The served request already counts: 42 + 0.1 per response.
    expect(h['x-codex-primary-used-percent']).toBe('42.1');
    expect(h['x-codex-primary-window-minutes']).toBe('300');
    expect(h['x-codex-secondary-used-percent']).toBe('7.02');
    expect(h['x-codex-secondary-window-minutes']).toBe('10080');
    const now = Date.now() / 1000;
    expect(Number(h['x-codex-primary-reset-at'])).toBeGreaterThan(now);
    expect(Number(h['x-codex-primary-reset-at'])).toBeLessThanOrEqual(now + 300 * 60 + 1);
    expect(Number(h['x-codex-secondary-reset-at'])).toBeGreaterThan(now + 300 * 60);
    expect(h['x-codex-credits-has-credits']).toBe('true');
    expect(h['x-codex-credits-balance']).toBe('12.5');
    expect(h['x-codex-credits-unlimited']).toBe('false');
    const rl = parseSse(res.text)[0].data as any;
    expect(rl.plan_type).toBe('pro');
    expect(rl.rate_limits.primary.used_percent).toBe(42.1);
    expect(rl.rate_limits.primary.reset_at).toBe(Number(h['x-codex-primary-reset-at']));
    expect(rl.rate_limits.secondary.window_minutes).toBe(10080);
  });

  it('grows usage per request, visible on wham/usage', async () => {
    fake.setUsage(seat, { primary: 10, secondary: 1 });
    await call('/codex/responses', codexBody('a'));
    await call('/codex/responses', codexBody('b'));
    const res = await request(`${fake.backendBaseUrl}/wham/usage`, {
      headers: { authorization: `Bearer ${seat.accessToken}`, 'chatgpt-account-id': seat.chatgptAccountId },
    });
    const body = (await res.body.json()) as any;
    expect(body.plan_type).toBe('pro');
    expect(body.rate_limit.allowed).toBe(true);
    expect(body.rate_limit.primary_window.used_percent).toBeCloseTo(10.2, 5);
    expect(body.rate_limit.primary_window.limit_window_seconds).toBe(18000);
    expect(body.rate_limit.secondary_window.limit_window_seconds).toBe(604800);
    expect(body.rate_limit.secondary_window.reset_after_seconds).toBeGreaterThan(18000);
    expect(body.credits).toEqual({ has_credits: false, unlimited: false, balance: '0' });
  });

  it('answers 429 usage_limit_reached once a window is full', async () => {
    fake.setUsage(seat, { primary: 100 });
    const res = await call('/codex/responses', codexBody('a'));
    expect(res.status).toBe(429);
    const err = JSON.parse(res.text).error;
    expect(err.type).toBe('usage_limit_reached');
    expect(err.resets_in_seconds).toBeGreaterThan(0);
    expect(err.resets_at).toBe(Number(res.headers['x-codex-primary-reset-at']));
  });

  it('gives cached tokens when a prompt_cache_key repeats on the same seat only', async () => {
    const body = codexBody('cache me', { prompt_cache_key: 'sess-1' });
    const usage = async (s: FakeSeat = seat) =>
      (parseSse((await call('/codex/responses', body, s)).text).at(-1)!.data.response as any).usage;
    expect((await usage()).input_tokens_details.cached_tokens).toBe(0);
    const second = await usage();
    expect(second.input_tokens_details.cached_tokens).toBeGreaterThan(0);
    expect(second.input_tokens_details.cached_tokens).toBeLessThanOrEqual(second.input_tokens);
    const other = fake.addAccount();
    expect((await usage(other)).input_tokens_details.cached_tokens).toBe(0);
  });

  it('emits a function_call when tools are offered and the user asks for a tool call', async () => {
    const tools = [
      {
        type: 'function',
        name: 'get_weather',
        parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } },
      },
    ];
    const res = await call('/codex/responses', codexBody('please call the weather tool', { tools }));
    const events = parseSse(res.text);
    const types = events.map((e) => e.event);
    expect(types).toContain('response.function_call_arguments.delta');
    expect(types).not.toContain('response.output_text.delta');
    const done = events.find((e) => e.event === 'response.function_call_arguments.done')!.data;
    expect(JSON.parse(done.arguments as string)).toEqual({ city: 'fake', days: 1 });
    const deltas = events
      .filter((e) => e.event === 'response.function_call_arguments.delta')
      .map((e) => e.data.delta)
      .join('');
    expect(deltas).toBe(done.arguments);
    const item = (events.at(-1)!.data.response as any).output[0];
    expect(item).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(item.call_id).toMatch(/^call_/);

    const followUp = codexBody('x', { tools });
    followUp.input.push(
      { type: 'function_call', call_id: item.call_id, name: 'get_weather', arguments: done.arguments } as any,
      { type: 'function_call_output', call_id: item.call_id, output: 'sunny' } as any,
    );
    const text = parseSse((await call('/codex/responses', followUp)).text).at(-1)!.data.response as any;
    expect(text.output[0].content[0].text).toBe('Tool result: sunny');
  });

  it.each([
    [{ stream: false }, 'Stream must be set to true'],
    [{ store: true }, 'Store must be set to false'],
    [{ temperature: 0.2 }, 'Unsupported parameter: temperature'],
    [{ max_output_tokens: 10 }, 'Unsupported parameter: max_output_tokens'],
    [{ prompt_cache_retention: '24h' }, 'Unsupported parameter: prompt_cache_retention'],
  ])('rejects %j with 400', async (extra, detail) => {
    const res = await call('/codex/responses', codexBody('x', extra));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({ detail });
  });

  it('rejects missing, unknown, expired and mismatched credentials', async () => {
    const missing = await request(`${fake.backendBaseUrl}/codex/responses`, { method: 'POST', body: '{}' });
    expect(missing.statusCode).toBe(401);
    await missing.body.text();
    expect((await call('/codex/responses', codexBody('x'), { ...seat, accessToken: 'nope' })).status).toBe(401);
    const mismatch = await call('/codex/responses', codexBody('x'), { ...seat, chatgptAccountId: 'acct-other' });
    expect(mismatch.status).toBe(403);
    fake.expireAccessToken(seat);
    const expired = await call('/codex/responses', codexBody('x'));
    expect(expired.status).toBe(401);
    expect(JSON.parse(expired.text).error.code).toBe('token_expired');
  });

  it('issues already-expired access tokens when the seat asks for it', async () => {
    const stale = fake.addAccount({ accessTokenTtlSeconds: -60 });
    expect((await call('/codex/responses', codexBody('x'), stale)).status).toBe(401);
  });
});

describe('other backend endpoints', () => {
  it('compacts to an output list keeping user messages', async () => {
    // Shaped like Codex's compaction request: no stream, no store.
    const input = codexBody('remember this').input;
    const res = await call('/codex/responses/compact', { model: 'gpt-5.1-codex', input, instructions: 'x' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.output[0]).toMatchObject({ role: 'user' });
    expect(body.output.at(-1).type).toBe('compaction');
    expect(body.usage.input_tokens).toBeGreaterThan(0);
    expect(res.headers['x-codex-primary-window-minutes']).toBe('300');
  });

  it('serves the model catalogue', async () => {
    const res = await request(`${fake.backendBaseUrl}/codex/models?client_version=0.169.0`, {
      headers: { authorization: `Bearer ${seat.accessToken}`, 'chatgpt-account-id': seat.chatgptAccountId },
    });
    const body = (await res.body.json()) as any;
    expect(res.statusCode).toBe(200);
    expect(body.models.length).toBeGreaterThan(1);
    for (const m of body.models) {
      expect(m).toMatchObject({ slug: expect.any(String), display_name: expect.any(String), visibility: 'list' });
      expect(m.supported_reasoning_levels.length).toBeGreaterThan(0);
    }
  });

  it('records requests with headers and parsed body, and counts per account', async () => {
    await call('/codex/responses', codexBody('logged', { prompt_cache_key: 'k' }));
    const entry = fake.requests.at(-1)!;
    expect(entry.path).toBe('/backend-api/codex/responses');
    expect(entry.chatgptAccountId).toBe(seat.chatgptAccountId);
    expect(entry.accessToken).toBe(seat.accessToken);
    expect(entry.headers['chatgpt-account-id']).toBe(seat.chatgptAccountId);
    expect((entry.body as any).prompt_cache_key).toBe('k');
    expect(fake.requestsBySeat()).toEqual({ [seat.chatgptAccountId]: 1 });
  });
});
