import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { DeadLetterRepository } from '../../common/write-behind/dead-letter.repository';
import type { DeadLetter } from '../../common/write-behind/write-behind';
import { WriteBehindRegistry } from '../../common/write-behind/write-behind.registry';
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
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  function writerWith(insertBatch: (batch: readonly RequestLogEntry[]) => Promise<number>) {
    const calls: RequestLogEntry[][] = [];
    const repo = {
      insertBatch: async (batch: readonly RequestLogEntry[]) => {
        calls.push([...batch]);
        return insertBatch(batch);
      },
    } as unknown as RequestLogsRepository;
    const letters: DeadLetter[] = [];
    const sink = { store: async (l: readonly DeadLetter[]) => void letters.push(...l) };
    const registry = new WriteBehindRegistry(sink as unknown as DeadLetterRepository);
    return { writer: new RequestLogWriter(repo, registry), calls, letters, registry };
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
      if (fail) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
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

  it('writes the rest of a batch the database refuses a row of, and dead-letters that row on shutdown', async () => {
    const poison = entry({ route: 'poison' });
    const { writer, letters, registry } = writerWith(async (b) => {
      if (b.some((x) => x.route === 'poison')) throw Object.assign(new Error('bad value'), { code: '22003' });
      return b.length;
    });
    writer.record(entry());
    writer.record(poison);
    writer.record(entry());
    await writer.flush();
    expect(writer.buffered).toBe(1);
    expect(registry.stats().requestLogs).toMatchObject({ pending: 1, retrying: 1, deadLettered: 0 });
    await writer.onModuleDestroy();
    expect(writer.buffered).toBe(0);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ writer: 'requestLogs', error: 'bad value', attempts: 5 });
    expect((letters[0].payload as RequestLogEntry).requestId).toBe(poison.requestId);
  });

  it('cleans texts at the boundary: no NUL, no lone surrogate, cut to the column', async () => {
    const { writer, calls } = writerWith(async (b) => b.length);
    writer.record(
      entry({ model: 'gpt\u0000-5', userAgent: 'ua\ud800', sessionId: '\u0000', errorCode: 'e'.repeat(300) }),
    );
    writer.record(entry({ model: `${'m'.repeat(127)}\ud83d\ude00` }));
    await writer.flush();
    expect(calls[0][0]).toMatchObject({ model: 'gpt-5', userAgent: 'ua\ufffd', sessionId: null });
    expect(calls[0][0].errorCode).toHaveLength(100);
    expect(calls[0][1].model).toBe('m'.repeat(127));
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
