import { randomUUID } from 'node:crypto';
import { copyRows } from './request-logs.repository';
import type { RequestLogEntry } from './request-log.types';

function entry(i: number): RequestLogEntry {
  return {
    requestId: randomUUID(),
    requestedAt: new Date(1_764_900_000_000 + i),
    ownerUserId: randomUUID(),
    apiKeyId: i % 3 === 0 ? null : randomUUID(),
    accountId: randomUUID(),
    route: '/v1/chat/completions',
    model: i % 5 === 0 ? 'gpt\t5\\x' : 'gpt-5.1-codex',
    stream: i % 2 === 0,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    inputTokens: i,
    cachedInputTokens: null,
    outputTokens: 2 * i,
    reasoningTokens: 0,
    costUsd: i / 1000,
    latencyMs: 10 + i,
    ttfbMs: null,
    clientIp: '127.0.0.1',
    userAgent: i % 7 === 0 ? 'agent\nwith\rbreaks' : 'OpenAI/JS 6.49.0',
    sessionId: null,
    endUser: null,
  };
}

describe('copyRows', () => {
  it('writes one COPY text line per entry, in pieces of at most 256 rows, escaping what COPY needs', () => {
    const entries = Array.from({ length: 600 }, (_, i) => entry(i));
    const pieces: string[] = [];
    copyRows(entries, (piece) => pieces.push(piece));
    expect(pieces.map((p) => p.split('\n').length - 1)).toEqual([256, 256, 88]);
    const lines = pieces.join('').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(600);
    const fields = lines[35].split('\t');
    expect(fields).toHaveLength(22);
    expect(fields[0]).toBe(entries[35].requestId);
    expect(fields[1]).toBe(entries[35].requestedAt.toISOString());
    expect(fields[6]).toBe('gpt\\t5\\\\x');
    expect(fields[15]).toBe('0.035');
    expect(fields[17]).toBe('\\N');
    expect(fields[19]).toBe('agent\\nwith\\rbreaks');
    const none: string[] = [];
    copyRows([], (piece) => none.push(piece));
    expect(none).toEqual([]);
  });
});
