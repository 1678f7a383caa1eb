import { randomUUID } from 'node:crypto';
import { copyLine, copyPieces, copyText, LOG_COLUMNS } from './request-logs.repository';
import { sanitizeEntry, type RequestLogEntry } from './request-log.types';

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

describe('copyPieces', () => {
  it('writes one COPY text line per entry, in pieces of at most 256 rows, escaping what COPY needs', () => {
    const entries = Array.from({ length: 600 }, (_, i) => entry(i));
    const pieces = [...copyPieces(entries)];
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
    expect([...copyPieces([])]).toEqual([]);
  });

  it('writes each sanitized entry exactly as the column list would, field by field', () => {
    const texts = ['plain', 'tab\there', 'back\\slash', 'line\nbreak\r', '', 'naïve ✓', null];
    let seed = 7;
    const pick = <T>(values: T[]): T => values[(seed = (seed * 1103515245 + 12345) >>> 0) % values.length];
    for (let i = 0; i < 500; i++) {
      const raw: RequestLogEntry = {
        ...entry(i),
        requestedAt: new Date(1_764_900_000_000 + pick([0, 0, 1, 999, 86_400_000])),
        apiKeyId: pick([null, randomUUID(), randomUUID().toUpperCase()]),
        accountId: pick([null, randomUUID()]),
        route: pick(texts) ?? '/v1/responses',
        model: pick(texts),
        stream: pick([true, false]),
        status: pick(['success', 'error', 'cancelled'] as const),
        httpStatus: pick([200, 429, 499, 502]),
        errorCode: pick(texts),
        inputTokens: pick([null, 0, 12_345, 1.5]),
        cachedInputTokens: pick([null, 7]),
        outputTokens: pick([null, 3]),
        reasoningTokens: pick([null, 0]),
        costUsd: pick([null, 0, 0.000_000_1, 12.5, 1e12]),
        latencyMs: pick([0, 17.6]),
        ttfbMs: pick([null, 4]),
        clientIp: pick(texts),
        userAgent: pick(texts),
        sessionId: pick(texts),
        endUser: pick([undefined, null, 'alice', 'tab\tuser']),
      };
      const clean = sanitizeEntry(raw)!;
      const generic = LOG_COLUMNS.map(([, , value]) => copyText(value(clean))).join('\t');
      expect(copyLine(clean)).toBe(generic);
    }
  });
});
