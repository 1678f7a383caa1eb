import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { RequestLogsRepository } from './request-logs.repository';
import { BATCH_SIZE, RequestLogWriter, type RequestLogEntry } from './request-log.writer';

function entry(overrides: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    requestId: randomUUID(),
    requestedAt: new Date(),
    ownerUserId: randomUUID(),
    apiKeyId: null,
    accountId: null,
    route: '/v1/responses',
    model: 'gpt-5',
    stream: false,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    inputTokens: 1,
    cachedInputTokens: null,
    outputTokens: 1,
    reasoningTokens: null,
    costUsd: null,
    latencyMs: 10,
    ttfbMs: null,
    clientIp: null,
    userAgent: null,
    sessionId: null,
    ...overrides,
  };
}

describe('RequestLogWriter', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  function writerWith(insertBatch: (batch: readonly RequestLogEntry[]) => Promise<number>) {
    const calls: RequestLogEntry[][] = [];
    const repo = {
      insertBatch: async (batch: readonly RequestLogEntry[]) => {
        calls.push([...batch]);
        return insertBatch(batch);
      },
    } as unknown as RequestLogsRepository;
    return { writer: new RequestLogWriter(repo), calls };
  }

  it('buffers without I/O and writes in batches of at most BATCH_SIZE on flush', async () => {
    const { writer, calls } = writerWith(async (b) => b.length);
    for (let i = 0; i < BATCH_SIZE * 2 + 3; i++) writer.record(entry());
    await writer.flush();
    expect(calls.map((c) => c.length)).toEqual([BATCH_SIZE, BATCH_SIZE, 3]);
    expect(writer.buffered).toBe(0);
  });

  it('keeps a failed batch and writes it on the next flush, never throwing at the caller', async () => {
    let fail = true;
    const { writer, calls } = writerWith(async (b) => {
      if (fail) throw new Error('database down');
      return b.length;
    });
    const e = entry();
    writer.record(e);
    await expect(writer.flush()).resolves.toBeUndefined();
    expect(writer.buffered).toBe(1);
    fail = false;
    await writer.flush();
    expect(writer.buffered).toBe(0);
    expect(calls.at(-1)!.map((x) => x.requestId)).toEqual([e.requestId]);
  });

  it('isolates an entry the database rejects as bad data after repeated failures', async () => {
    const poison = entry({ route: 'poison' });
    const { writer } = writerWith(async (b) => {
      if (b.some((x) => x.route === 'poison')) throw Object.assign(new Error('bad value'), { code: '22003' });
      return b.length;
    });
    writer.record(entry());
    writer.record(poison);
    writer.record(entry());
    for (let i = 0; i < 4; i++) await writer.flush();
    expect(writer.buffered).toBe(0);
  });

  it('cleans entries: unknown token counts stay null, bad ids become null, no owner is dropped', async () => {
    const { writer, calls } = writerWith(async (b) => b.length);
    writer.record(entry({ apiKeyId: 'not-a-uuid', inputTokens: null, latencyMs: -5, route: 'x'.repeat(500) }));
    writer.record(entry({ ownerUserId: 'nobody' }));
    await writer.flush();
    expect(calls[0]).toHaveLength(1);
    expect(calls[0][0]).toMatchObject({ apiKeyId: null, inputTokens: null, latencyMs: 0 });
    expect(calls[0][0].route).toHaveLength(200);
  });

  it('reads ids as uuids exactly: lower-cases upper-case ones, refuses near misses', async () => {
    const { writer, calls } = writerWith(async (b) => b.length);
    const id = randomUUID();
    const near = [
      `${id.slice(0, 35)}g`,
      `${id}0`,
      id.slice(1),
      id.replace(/-/g, 'a'),
      `${id.slice(0, 8)}x${id.slice(9)}`,
      ` ${id.slice(1)}`,
    ];
    writer.record(entry({ apiKeyId: id.toUpperCase(), accountId: id }));
    for (const bad of near) writer.record(entry({ apiKeyId: bad, accountId: bad }));
    await writer.flush();
    expect(calls[0]).toHaveLength(near.length + 1);
    expect(calls[0][0]).toMatchObject({ apiKeyId: id, accountId: id });
    for (const e of calls[0].slice(1)) expect(e).toMatchObject({ apiKeyId: null, accountId: null });
  });

  it('flushes what is buffered when the module is destroyed', async () => {
    const { writer, calls } = writerWith(async (b) => b.length);
    writer.onModuleInit();
    writer.record(entry());
    await writer.onModuleDestroy();
    expect(calls).toHaveLength(1);
  });
});
