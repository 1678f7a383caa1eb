// Input is bounded before any work is done on it: the API body limit (413), JSON depth and member
// caps checked before parsing (400), unknown members refused in one linear pass with a short
// message, and none of it stalls a proxy stream that is in flight.
import { request as httpRequest } from 'node:http';
import { fetch } from 'undici';
import { FakeUpstream } from '../src/fake-upstream';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './support/app';
import { startTap, type Tap } from './support/tap';
import { codexBody } from './support/proxy-world';

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** Sends a prepared body over a plain socket and times it to the last byte of the answer. */
function send(
  app: TestApp,
  cookie: string,
  path: string,
  body: Buffer | string,
  contentType = 'application/json',
): Promise<Answer> {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const url = new URL(path, app.url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': payload.length, cookie },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function unknownMembers(count: number, prefix = 'unknown_member_'): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`"${prefix}${i}":${i}`);
  const known = { name: 'k' };
  return `{${JSON.stringify(known).slice(1, -1)},${parts.join(',')}}`;
}

describe('input limits on the dashboard API', () => {
  let fake: FakeUpstream;
  let tap: Tap;
  let app: TestApp;
  let admin: string;
  let alice: { id: string; cookie: string };
  let key: string;

  beforeAll(async () => {
    fake = await FakeUpstream.start({ usageGrowth: { primary: 0, secondary: 0 } });
    tap = await startTap(fake.baseUrl);
    app = await startTestApp({
      env: {
        CODEX_LB_AUTH_BASE_URL: fake.authBaseUrl,
        CODEX_LB_UPSTREAM_BASE_URL: `${tap.url}/backend-api`,
        CODEX_LB_OAUTH_CALLBACK_PORT: '0',
        CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
        // Room for the 3 MB body below to reach the JSON checks rather than the size limit.
        CODEX_LB_API_BODY_LIMIT_KB: '4096',
      },
    });
    admin = await login(app, 'admin', ADMIN_PASSWORD);
    alice = await createUserSession(app, admin, 'alice');
    const seat = fake.addAccount({ email: 'alice@example.com' });
    const imported = await send(app, alice.cookie, '/api/accounts/import', JSON.stringify(fake.authJsonFor(seat)));
    expect(imported.status).toBe(201);
    const created = await send(app, alice.cookie, '/api/api-keys', JSON.stringify({ name: 'stream key' }));
    expect(created.status).toBe(201);
    key = JSON.parse(created.body).key;
  });
  afterAll(async () => {
    await app.close();
    await tap.close();
    await fake.close();
  });

  it('answers 413 payload_too_large in the API envelope for a body over the limit', async () => {
    const big = JSON.stringify({ name: 'x', pad: 'a'.repeat(4096 * 1024) });
    const answer = await send(app, alice.cookie, '/api/api-keys', big);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe('payload_too_large');
    // Every body Fastify reads for the API has the same limit, whatever its type.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const other = await send(app, alice.cookie, '/api/api-keys', `name=${'a'.repeat(4096 * 1024)}`, type);
      expect(other.status).toBe(413);
      expect(JSON.parse(other.body).error.code).toBe('payload_too_large');
    }
    // Within the limit, a body that is not a JSON object is a 400, not a 500.
    const text = await send(app, alice.cookie, '/api/api-keys', 'name=k', 'text/plain');
    expect(text.status).toBe(400);
  });

  it('refuses 10,000-deep JSON with a 400, on a DTO route and on the public login route', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    for (const [path, body] of [
      ['/api/api-keys', deep],
      ['/api/api-keys', deepObject],
      ['/api/dashboard-auth/password/login', deepObject],
      ['/api/accounts/import', deepObject],
    ]) {
      const answer = await send(app, alice.cookie, path, body);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).error.message).toMatch(/deeper than 32/);
    }
    // Nesting within the cap still reaches validation, which names the field.
    const nested = await send(app, alice.cookie, '/api/api-keys', JSON.stringify({ name: { a: { b: [[1]] } } }));
    expect(nested.status).toBe(400);
    expect(JSON.parse(nested.body).error).toMatchObject({
      code: 'validation_failed',
      message: 'name must be a string',
    });
  });

  it('refuses more than 10,000 members and elements before parsing', async () => {
    const wide = JSON.stringify({ name: 'x', allowedModels: Array.from({ length: 20_000 }, () => 'm') });
    const answer = await send(app, alice.cookie, '/api/api-keys', wide);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.message).toMatch(/more than 10000 members/);
  });

  it('refuses unknown members in one pass, naming only a short excerpt of them', async () => {
    const answer = await send(app, alice.cookie, '/api/api-keys', unknownMembers(9_000));
    expect(answer.status).toBe(400);
    expect(answer.body.length).toBeLessThan(400);
    const error = JSON.parse(answer.body).error;
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(
      /^Unknown fields: "unknown_member_0", "unknown_member_1", "unknown_member_2" and 8997 more\.$/,
    );

    // Nested DTOs too, with the path; long names are cut.
    const long = 'n'.repeat(5000);
    const nested = await send(
      app,
      alice.cookie,
      '/api/api-keys',
      JSON.stringify({ name: 'x', limits: [{ kind: 'requests', window: 'daily', max: 1, [long]: 1 }] }),
    );
    expect(nested.status).toBe(400);
    expect(nested.body.length).toBeLessThan(300);
    expect(JSON.parse(nested.body).error.message).toMatch(/^Unknown field: limits\.0\."n{32}…"\.$/);

    // Queries are checked the same way.
    const query = await fetch(`${app.url}/api/api-keys?${'x=1&'.repeat(2000)}y=2`, {
      headers: { cookie: alice.cookie },
    });
    expect(query.status).toBe(400);
    expect(((await query.json()) as { error: { message: string } }).error.message).toMatch(/^Unknown fields: "x"/);
  });

  it('refuses 200,000 unknown members in under 100 ms without delaying a proxy stream in flight', async () => {
    const body = Buffer.from(unknownMembers(200_000, 'x'));
    expect(body.length).toBeGreaterThan(2_500_000);

    fake.configure({ eventDelayMs: 30 });
    try {
      const stream = await fetch(`${app.url}/backend-api/codex/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify(codexBody('a stream that is in flight')),
      });
      expect(stream.status).toBe(200);
      const reader = stream.body!.getReader();
      const arrivals: number[] = [];
      let text = '';
      const reading = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          arrivals.push(performance.now());
          text += Buffer.from(value).toString();
        }
      })();
      while (arrivals.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));

      // Best of three: the bound is on the server's work, not on a busy test machine's scheduler.
      const answers: Answer[] = [];
      for (let i = 0; i < 3; i++) answers.push(await send(app, alice.cookie, '/api/api-keys', body));
      await reading;

      for (const answer of answers) {
        expect(answer.status).toBe(400);
        expect(answer.body.length).toBeLessThan(300);
        expect(JSON.parse(answer.body).error.code).toBe('bad_request');
      }
      expect(Math.min(...answers.map((answer) => answer.ms))).toBeLessThan(100);

      expect(text).toContain('response.completed');
      const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]);
      // Events are 30 ms apart; the refusals must not hold the event loop for anything close
      // to the seconds the unbounded validation took.
      expect(Math.max(...gaps)).toBeLessThan(250);
    } finally {
      fake.configure({ eventDelayMs: 0 });
    }
  });
});
