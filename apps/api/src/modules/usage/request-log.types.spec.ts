import { endUserLabel, sanitizeEntry, type RequestLogEntry } from './request-log.types';

describe('endUserLabel', () => {
  it('keeps a plain label', () => {
    expect(endUserLabel('alice@example.com')).toBe('alice@example.com');
  });

  it('is null for nothing printable', () => {
    for (const value of [undefined, null, '', '   ', '\u0000\u0001', 42, ['']]) expect(endUserLabel(value)).toBeNull();
  });

  it('takes the first of repeated headers', () => {
    expect(endUserLabel(['first', 'second'])).toBe('first');
  });

  it('drops NUL, controls and invisible format characters, and trims', () => {
    expect(endUserLabel(' a\u0000b\tc\r\nd\u007f\u0085e\u202ef\u200bg\ufeff ')).toBe('abcdefg');
  });

  it('replaces lone surrogates and never splits a pair when cutting', () => {
    expect(endUserLabel('x\ud800y')).toBe('x\ufffdy');
    const label = endUserLabel(`${'a'.repeat(127)}\u{1f600}`)!;
    expect(label).toBe('a'.repeat(127));
    expect(Buffer.from(label, 'utf8').toString('utf8')).toBe(label);
  });

  it('cuts to 128 characters', () => {
    expect(endUserLabel('z'.repeat(10_000))).toHaveLength(128);
  });

  it('reads UTF-8 that arrived as Latin-1 header bytes', () => {
    const onTheWire = Buffer.from('José Müller', 'utf8').toString('latin1');
    expect(endUserLabel(onTheWire)).toBe('José Müller');
    // Real Latin-1 text that is not valid UTF-8 stays as it was.
    expect(endUserLabel('caf\u00e9')).toBe('café');
  });
});

describe('sanitizeEntry and the end-user label', () => {
  const base = (): RequestLogEntry =>
    ({
      requestId: '6f1c1b1e-2f7a-4d6e-9d2b-1f1f1f1f1f1f',
      requestedAt: new Date(),
      ownerUserId: '0b7f3d4e-8c1a-4f2b-9e3d-2a1b0c9d8e7f',
      apiKeyId: null,
      accountId: null,
      route: '/v1/responses',
      model: null,
      stream: false,
      status: 'success',
      httpStatus: 200,
      errorCode: null,
      inputTokens: null,
      cachedInputTokens: null,
      outputTokens: null,
      reasoningTokens: null,
      costUsd: null,
      latencyMs: 1,
      ttfbMs: null,
      clientIp: null,
      userAgent: null,
      sessionId: null,
    }) as RequestLogEntry;

  it('is null when absent and cleaned when present', () => {
    expect(sanitizeEntry(base())!.endUser).toBeNull();
    expect(sanitizeEntry({ ...base(), endUser: ' bob\u0000 ' })!.endUser).toBe('bob');
  });
});
