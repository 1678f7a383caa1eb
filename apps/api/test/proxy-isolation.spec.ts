// One tenant, careless or hostile, cannot stall, freeze or overcharge the gateway for the others:
// the exchange notices a departed client at any moment, refuses bad input before spending work on
// it, caps what one owner and one key may hold, cuts slow readers, and charges what was delivered.
import { connect, type Socket } from 'node:net';
import { Client } from 'pg';
import { fetch } from 'undici';
import OpenAI from 'openai';
import { ApiKeyAuthService } from '../src/modules/api-keys/api-key-auth.service';
import { ProxyService } from '../src/modules/proxy/proxy.service';
import { UpstreamClient } from '../src/modules/proxy/upstream/upstream.client';
import { addAccount, codexBody, createKey, flushLogs, startWorld, type World } from './support/proxy-world';

const STALL_SECONDS = 1;
const CAP = 3;

let w: World;

beforeAll(async () => {
  w = await startWorld({
    CODEX_LB_MAX_CONCURRENT_PER_USER: String(CAP),
    CODEX_LB_MAX_CONCURRENT_PER_KEY: String(CAP),
    CODEX_LB_QUEUE_TIMEOUT_SECONDS: '1',
    CODEX_LB_STREAM_STALL_TIMEOUT_SECONDS: String(STALL_SECONDS),
  });
});
afterAll(() => w.close());
afterEach(() => {
  w.fake.configure({ eventDelayMs: 0, crlf: false, terminalPaddingChars: 0 });
  w.fake.slowFirstByte(0);
});

function port(): number {
  return Number(new URL(w.app.url).port);
}

/** Raw HTTP, so a spec controls exactly what is sent and when the socket dies. */
function rawRequest(path: string, headers: Record<string, string | number>, body: Buffer | string): Socket {
  const socket = connect(port(), '127.0.0.1');
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n`);
  if (body.length > 0) socket.write(body);
  return socket;
}

function firstAnswer(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) resolve(text);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

function codex(key: string, body: unknown, path = '/backend-api/codex/responses') {
  return fetch(`${w.app.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function logRows(keyId: string): Promise<Array<Record<string, unknown>>> {
  await flushLogs(w);
  const client = new Client({ connectionString: w.app.db!.url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT status, http_status, error_code, output_tokens FROM request_logs WHERE api_key_id = $1 ORDER BY requested_at`,
      [keyId],
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('proxy isolation between tenants', () => {
  let aliceKey: { key: string; id: string };
  let bobKey: { key: string; id: string };
  let aliceSeat: Awaited<ReturnType<typeof addAccount>>['seat'];

  beforeAll(async () => {
    aliceSeat = (await addAccount(w, w.alice.cookie, 'alice-iso@example.com')).seat;
    await addAccount(w, w.bob.cookie, 'bob-iso@example.com');
    aliceKey = await createKey(w, w.alice.cookie, { name: 'alice iso' });
    bobKey = await createKey(w, w.bob.cookie, { name: 'bob iso' });
  });

  it('300 clients that reset right after sending (key-cache misses) hold no upstream connection; a normal request then completes promptly', async () => {
    const upstream = w.app.instance.app.get(UpstreamClient);
    const proxy = w.app.instance.app.get(ProxyService);
    const auth = w.app.instance.app.get(ApiKeyAuthService);
    let started = performance.now();
    expect((await codex(aliceKey.key, codexBody('before the storm'))).status).toBe(200);
    const quietMs = performance.now() - started;
    w.fake.slowFirstByte(300);
    const body = JSON.stringify(codexBody('reset me'));
    const sockets: Socket[] = [];
    for (let i = 0; i < 300; i++) {
      // Every 10th request finds the key cache empty: its lookup goes to the database.
      if (i % 10 === 0) (auth as unknown as { cache: { clear(): void } }).cache.clear();
      const socket = rawRequest(
        '/backend-api/codex/responses',
        {
          authorization: `Bearer ${i % 2 ? aliceKey.key : bobKey.key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        body,
      );
      socket.on('error', () => undefined);
      socket.once('connect', () => setImmediate(() => socket.resetAndDestroy()));
      sockets.push(socket);
    }
    await Promise.all(sockets.map((s) => new Promise((r) => s.once('close', r))));
    w.fake.slowFirstByte(0);
    const settled = await waitFor(() => proxy.inFlight === 0 && upstream.stats().running === 0, 5_000);
    expect({ inFlight: proxy.inFlight, running: upstream.stats().running, pending: upstream.stats().pending }).toEqual({
      inFlight: 0,
      running: 0,
      pending: 0,
    });
    expect(settled).toBe(true);
    started = performance.now();
    const response = await codex(aliceKey.key, codexBody('after the storm'));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('response.completed');
    const afterMs = performance.now() - started;
    expect(afterMs).toBeLessThan(Math.max(3_000, quietMs * 10));
  });

  it('answers an unauthenticated 30 MB body with 401 after 64 KB of it were sent', async () => {
    const socket = rawRequest(
      '/v1/responses',
      {
        authorization: 'Bearer sk-clb-not-a-real-key',
        'content-type': 'application/json',
        'content-length': 30 * 1024 * 1024,
      },
      Buffer.alloc(64 * 1024, 0x20),
    );
    const answer = await firstAnswer(socket);
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer.toLowerCase()).toContain('connection: close');
  });

  it('serves a body received whole and one still arriving in pieces on the same keep-alive connection', async () => {
    const body = JSON.stringify({ model: 'gpt-5.1-codex', input: 'hello pieces', stream: true, store: false });
    const headers = { authorization: `Bearer ${aliceKey.key}`, 'content-type': 'application/json' };
    // The whole request in one write: its body is in Node's buffer before the key check ends.
    const socket = rawRequest('/backend-api/codex/responses', { ...headers, 'content-length': body.length }, body);
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    const answers = () => text.split('event: response.completed').length - 1;
    expect(await waitFor(() => answers() === 1 && text.endsWith('\r\n0\r\n\r\n'), 5000)).toBe(true);
    // Then a chunked body in three pieces 100 ms apart: read as a stream, as it arrives.
    socket.write(
      `POST /backend-api/codex/responses HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${aliceKey.key}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`,
    );
    const pieces = [body.slice(0, 10), body.slice(10, 30), body.slice(30)];
    for (const piece of pieces) {
      await new Promise((r) => setTimeout(r, 100));
      socket.write(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
    }
    expect(answers()).toBe(1);
    socket.write('0\r\n\r\n');
    expect(await waitFor(() => answers() === 2, 5000)).toBe(true);
    socket.destroy();
    expect(text.match(/^HTTP\/1\.1 200/gm)).toHaveLength(2);
  });

  it('refuses a declared body over the limit with 413 before reading it', async () => {
    const socket = rawRequest(
      '/v1/responses',
      {
        authorization: `Bearer ${aliceKey.key}`,
        'content-type': 'application/json',
        'content-length': 33 * 1024 * 1024,
      },
      '',
    );
    const answer = await firstAnswer(socket);
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
  });

  it('charges a stream aborted after its last delta to its key (1 request a day: the next one is refused)', async () => {
    const limited = await createKey(w, w.alice.cookie, {
      name: 'one a day',
      limits: [{ kind: 'requests', window: 'daily', max: 1 }],
    });
    w.fake.configure({ eventDelayMs: 150 });
    const controller = new AbortController();
    const response = await fetch(`${w.app.url}/backend-api/codex/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${limited.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(codexBody('take it and run')),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('response.output_text.done')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    expect(text).not.toContain('response.completed');
    controller.abort();
    await reader.cancel().catch(() => undefined);
    const proxy = w.app.instance.app.get(ProxyService);
    await waitFor(() => proxy.inFlight === 0, 3_000);
    w.fake.configure({ eventDelayMs: 0 });

    const again = await codex(limited.key, codexBody('again'));
    expect(again.status).toBe(429);
    expect((await again.json()) as object).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    const rows = await logRows(limited.id);
    expect(rows[0]).toMatchObject({ status: 'cancelled', http_status: 200, error_code: 'client_closed' });
  });

  it(`keeps another tenant fast while one holds its full cap of ${CAP}; the over-cap request gets 429 after the 1 s queue deadline`, async () => {
    w.fake.slowFirstByte(2_500, aliceSeat);
    const held = Array.from({ length: CAP }, () => codex(aliceKey.key, codexBody('hold a slot')));
    const proxy = w.app.instance.app.get(ProxyService);
    await waitFor(() => proxy.inFlight >= CAP, 2_000);

    const started = performance.now();
    const over = codex(aliceKey.key, codexBody('one too many'));
    const bob = await codex(bobKey.key, codexBody('bob is not delayed'));
    const bobMs = performance.now() - started;
    expect(bob.status).toBe(200);
    expect(await bob.text()).toContain('response.completed');
    expect(bobMs).toBeLessThan(1_000);

    const refused = await over;
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await refused.json()) as object).toMatchObject({ error: { code: 'concurrency_limit_exceeded' } });
    for (const response of await Promise.all(held)) {
      expect(response.status).toBe(200);
      await response.text();
    }
    w.fake.slowFirstByte(0, aliceSeat);
  });

  it.each([
    ['/backend-api/codex/responses', '{"model":"gpt-5.1\\x","input":[],"stream":true}'],
    ['/backend-api/codex/responses', '{"model":"gpt-5.1-codex","prompt_cache_key":"a\\u12","input":[]}'],
    ['/v1/responses', '{"model":"gpt-5.1-codex","previous_response_id":"resp_\\q","input":"hi"}'],
    ['/v1/chat/completions', '{"model":"gpt-5.1\\x","messages":[{"role":"user","content":"hi"}]}'],
    ['/v1/chat/completions', '{"model":"gpt-5.1-codex","messages":[{"role":"user","content":"h\\i"}]}'],
    ['/backend-api/codex/responses/compact', '{"model":"gpt\\u00","input":[]}'],
  ])('answers a bad escape on %s with 400 (%s)', async (path, body) => {
    const response = await codex(aliceKey.key, body, path);
    expect(response.status).toBe(400);
    expect((await response.json()) as object).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it(`cuts a reader that stops reading for ${STALL_SECONDS} s and frees its upstream connection`, async () => {
    const { id, key } = await createKey(w, w.alice.cookie, { name: 'slow reader' });
    w.fake.configure({ terminalPaddingChars: 16 * 1024 * 1024 });
    const body = JSON.stringify(codexBody('fill my buffers'));
    const socket = rawRequest(
      '/backend-api/codex/responses',
      { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      body,
    );
    socket.pause();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    const proxy = w.app.instance.app.get(ProxyService);
    const upstream = w.app.instance.app.get(UpstreamClient);
    expect(await waitFor(() => proxy.inFlight === 1, 3_000)).toBe(true);
    expect(await waitFor(() => proxy.inFlight === 0, (STALL_SECONDS + 5) * 1000)).toBe(true);
    expect(await waitFor(() => upstream.stats().running === 0, 2_000)).toBe(true);
    socket.destroy();
    await closed;
    const rows = await logRows(id);
    expect(rows).toEqual([expect.objectContaining({ status: 'cancelled', error_code: 'stream_stalled' })]);
  });

  it('passes CRLF-framed SSE with an 8 MB terminal event through and meters it', async () => {
    const { id, key } = await createKey(w, w.alice.cookie, { name: 'crlf' });
    w.fake.configure({ crlf: true, terminalPaddingChars: 8 * 1024 * 1024 });
    const response = await codex(key, codexBody('crlf please'));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('event: response.completed\r\n');
    expect(text.length).toBeGreaterThan(8 * 1024 * 1024);
    const rows = await logRows(id);
    expect(rows).toEqual([expect.objectContaining({ status: 'success', output_tokens: expect.any(Number) })]);
  });

  it('refuses a body of 3 million empty messages or 1 million members with 400 quickly, RSS bounded', async () => {
    const before = process.memoryUsage().rss;
    const messages = `{"model":"gpt-5.1-codex","messages":[${'{},'.repeat(3_000_000)}{}]}`;
    let started = performance.now();
    const chat = await codex(aliceKey.key, messages, '/v1/chat/completions');
    expect(chat.status).toBe(400);
    expect(performance.now() - started).toBeLessThan(3_000);
    const members = `{${Array.from({ length: 1_000_000 }, (_, i) => `"m${i}":0`).join(',')}}`;
    started = performance.now();
    const wide = await codex(aliceKey.key, members);
    expect(wide.status).toBe(400);
    expect(performance.now() - started).toBeLessThan(3_000);
    // The bodies themselves are ~9 and ~12 MB; parsing them into objects would cost gigabytes.
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * 1024 * 1024);
  });
});

describe('honest errors from the upstream', () => {
  it('answers 502 upstream_unavailable with the cause when every account answers 503, not a rate limit', async () => {
    const { seat } = await addAccount(w, w.bob.cookie, 'bob-down@example.com');
    const { key, id } = await createKey(w, w.bob.cookie, { name: 'down' });
    // Bob owns two accounts now (bob-iso and bob-down): both fail.
    for (const s of w.fake.seats().filter((s) => s.email.startsWith('bob-')))
      w.fake.failNext(s, { status: 503, count: 3 });
    const response = await codex(key, codexBody('anyone there?'));
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('upstream_unavailable');
    expect(body.error.message).toContain('503');
    const rows = await logRows(id);
    expect(rows[0]).toMatchObject({ status: 'error', http_status: 502, error_code: 'upstream_unavailable' });
    // Right after, both accounts back off: that is still the upstream's trouble, not a rate limit.
    const again = await codex(key, codexBody('still there?'));
    expect(again.status).toBe(503);
    expect(again.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await again.json()) as object).toMatchObject({ error: { code: 'upstream_unavailable' } });
    void seat;
  });

  it('makes the openai SDK raise when the upstream cuts a stream mid-way (responses and chat)', async () => {
    const carol = await addAccount(w, w.admin, 'admin-cut@example.com');
    const { key } = await createKey(w, w.admin, { name: 'cut' });
    const client = new OpenAI({ apiKey: key, baseURL: `${w.app.url}/v1`, maxRetries: 0 });

    w.fake.disconnectMidStream(carol.seat, 4);
    const responses = await client.responses.create({ model: 'gpt-5.1-codex', input: 'cut me', stream: true });
    await expect(
      (async () => {
        for await (const event of responses) void event;
      })(),
    ).rejects.toThrow(/closed the stream before the response completed/);

    w.fake.disconnectMidStream(carol.seat, 4);
    const chat = await client.chat.completions.create({
      model: 'gpt-5.1-codex',
      messages: [{ role: 'user', content: 'cut me too' }],
      stream: true,
    });
    await expect(
      (async () => {
        for await (const chunk of chat) void chunk;
      })(),
    ).rejects.toThrow(/closed the stream before the response completed/);
  });

  it('fails a 402/403 account over to another account and marks it deactivated', async () => {
    const refused = await addAccount(w, w.admin, 'admin-402@example.com');
    const spare = await addAccount(w, w.admin, 'admin-spare@example.com');
    const { key } = await createKey(w, w.admin, { name: 'refused', accountIds: [refused.id, spare.id] });
    w.fake.failNext(refused.seat, { status: 402, count: 100 });
    const statusOf = async (id: string) => {
      const response = await fetch(`${w.app.url}/api/accounts/${id}`, { headers: { cookie: w.admin } });
      return ((await response.json()) as { status: string }).status;
    };
    // The choice is weighted at random: within a few requests the refused account is tried once,
    // fails over to the spare within the same request, and is not chosen again.
    for (let i = 0; i < 20 && (await statusOf(refused.id)) !== 'deactivated'; i++) {
      const response = await codex(key, codexBody(`try ${i}`));
      expect(response.status).toBe(200);
      await response.text();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await statusOf(refused.id)).toBe('deactivated');
    for (let i = 0; i < 3; i++) expect((await codex(key, codexBody('spare only'))).status).toBe(200);
  });
});
