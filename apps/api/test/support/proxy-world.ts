// A gateway with two users, each owning accounts at the fake upstream, and keys to call the proxy.
import request from 'supertest';
import { FakeUpstream, type FakeSeat, type FakeUpstreamOptions } from '../../src/fake-upstream';
import { RequestLogWriter } from '../../src/modules/usage/request-log.writer';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp, type TestApp } from './app';
import { startTap, type Tap } from './tap';

export interface World {
  fake: FakeUpstream;
  tap: Tap;
  app: TestApp;
  admin: string;
  alice: { id: string; cookie: string };
  bob: { id: string; cookie: string };
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Through the recording tap (default), or straight to the fake upstream (WebSocket specs: the
   * tap speaks HTTP only). */
  tap?: boolean;
  fake?: FakeUpstreamOptions;
}

export async function startWorld(env: Record<string, string> = {}, options: WorldOptions = {}): Promise<World> {
  const fake = await FakeUpstream.start({ usageGrowth: { primary: 0, secondary: 0 }, ...options.fake });
  const tap = await startTap(fake.baseUrl);
  const app = await startTestApp({
    env: {
      CODEX_LB_AUTH_BASE_URL: fake.authBaseUrl,
      CODEX_LB_UPSTREAM_BASE_URL: options.tap === false ? fake.backendBaseUrl : `${tap.url}/backend-api`,
      CODEX_LB_OAUTH_CALLBACK_PORT: '0',
      CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      ...env,
    },
  });
  const admin = await login(app, 'admin', ADMIN_PASSWORD);
  const alice = await createUserSession(app, admin, 'alice');
  const bob = await createUserSession(app, admin, 'bob');
  return {
    fake,
    tap,
    app,
    admin,
    alice,
    bob,
    async close() {
      await app.close();
      await tap.close();
      await fake.close();
    },
  };
}

export async function addAccount(world: World, cookie: string, email: string): Promise<{ seat: FakeSeat; id: string }> {
  const seat = world.fake.addAccount({ email });
  const response = await request(world.app.url)
    .post('/api/accounts/import')
    .set('cookie', cookie)
    .send(world.fake.authJsonFor(seat))
    .expect(201);
  return { seat, id: response.body.id };
}

export async function createKey(
  world: World,
  cookie: string,
  body: Record<string, unknown> = {},
): Promise<{ key: string; id: string }> {
  const response = await request(world.app.url)
    .post('/api/api-keys')
    .set('cookie', cookie)
    .send({ name: 'test key', ...body })
    .expect(201);
  return { key: response.body.key, id: response.body.apiKey.id };
}

export function codexBody(text: string, extra: Record<string, unknown> = {}) {
  return {
    model: 'gpt-5.1-codex',
    instructions: 'You are Codex.',
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }],
    tools: [],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    ...extra,
  };
}

/** A Codex CLI request through the gateway (supertest). */
export function postCodex(world: World, key: string, body: object, headers: Record<string, string> = {}) {
  return request(world.app.url)
    .post('/backend-api/codex/responses')
    .set('authorization', `Bearer ${key}`)
    .set('accept', 'text/event-stream')
    .set(headers)
    .send(body);
}

export async function flushLogs(world: World): Promise<void> {
  await world.app.instance.app.get(RequestLogWriter).flush();
}
