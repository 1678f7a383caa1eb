// Helpers for the usage and request-log specs: a world of an admin and two users, each with a key
// and an account, and request-log entries written through the real RequestLogWriter.
import { randomUUID } from 'node:crypto';
import { RequestLogWriter, type RequestLogEntry } from '../../src/modules/usage/request-log.writer';
import { ADMIN_PASSWORD, createUserSession, login, type TestApp } from './app';
import { as, insertAccount } from './api-keys';

export interface Member {
  id: string;
  cookie: string;
  keyId: string;
  keyName: string;
  accountId: string;
}

export interface UsageWorld {
  adminCookie: string;
  alice: Member;
  bob: Member;
}

async function member(app: TestApp, adminCookie: string, username: string): Promise<Member> {
  const user = await createUserSession(app, adminCookie, username);
  const keyName = `${username}-laptop`;
  const created = await as(app, user.cookie)
    .post('/api/api-keys', { name: keyName, limits: [{ kind: 'requests', window: 'daily', max: 1000 }] })
    .expect(201);
  const accountId = await insertAccount(app, user.id);
  await app.instance.dataSource.query(`UPDATE accounts SET email = $2 WHERE id = $1`, [
    accountId,
    `${username}@example.com`,
  ]);
  return { id: user.id, cookie: user.cookie, keyId: created.body.apiKey.id, keyName, accountId };
}

export async function usageWorld(app: TestApp): Promise<UsageWorld> {
  const adminCookie = await login(app, 'admin', ADMIN_PASSWORD);
  return { adminCookie, alice: await member(app, adminCookie, 'alice'), bob: await member(app, adminCookie, 'bob') };
}

/** A successful streamed request by `who` with its key and account, overridable field by field. */
export function entry(who: Member, overrides: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    requestId: randomUUID(),
    requestedAt: new Date(),
    ownerUserId: who.id,
    apiKeyId: who.keyId,
    accountId: who.accountId,
    route: '/backend-api/codex/responses',
    model: 'gpt-5-codex',
    stream: true,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    inputTokens: 100,
    cachedInputTokens: 20,
    outputTokens: 50,
    reasoningTokens: 10,
    costUsd: 0.001,
    latencyMs: 800,
    ttfbMs: 200,
    clientIp: '127.0.0.1',
    userAgent: 'codex_cli_rs/0.50.0',
    sessionId: null,
    ...overrides,
  };
}

export async function write(app: TestApp, entries: RequestLogEntry[]): Promise<void> {
  const writer = app.instance.app.get(RequestLogWriter);
  for (const e of entries) writer.record(e);
  await writer.flush();
  if (writer.buffered !== 0) throw new Error(`writer still holds ${writer.buffered} entries after flush`);
}
