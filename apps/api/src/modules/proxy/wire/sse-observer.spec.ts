import { quotaFromHeaders, SseObserver, terminalOf, usageFrom } from './sse-observer';

type Json = Record<string, unknown>;

const USAGE = {
  input_tokens: 120,
  input_tokens_details: { cached_tokens: 20 },
  output_tokens: 30,
  output_tokens_details: { reasoning_tokens: 5 },
  total_tokens: 150,
};
const OBSERVED = { inputTokens: 120, cachedInputTokens: 20, outputTokens: 30, reasoningTokens: 5 };

function response(extra: Json = {}): Json {
  return {
    id: 'resp_1',
    object: 'response',
    model: 'gpt-5.1-codex',
    instructions: 'x'.repeat(200),
    output: [],
    ...extra,
  };
}

function sse(events: Json[], { eventLines = true, crlf = false } = {}): Buffer {
  let text = events
    .map((event) => `${eventLines ? `event: ${String(event.type)}\n` : ''}data: ${JSON.stringify(event)}\n\n`)
    .join('');
  if (crlf) text = text.replace(/\n/g, '\r\n');
  return Buffer.from(text);
}

const CREATED = { type: 'response.created', response: response({ status: 'in_progress', usage: null }) };
const DELTA = { type: 'response.output_text.delta', item_id: 'msg_1', delta: 'hi "there"' };
const RATE_LIMITS = {
  type: 'codex.rate_limits',
  plan_type: 'pro',
  rate_limits: {
    primary: { used_percent: 12.5, window_minutes: 300, reset_at: 1_700_003_600 },
    secondary: { used_percent: 40, window_minutes: 10080, reset_after_seconds: 60 },
  },
};

interface Seen {
  terminal: SseObserver['terminal'];
  errorCode: string | null;
  incompleteReason: string | null;
  usage: SseObserver['usage'];
  responseId: string | null;
  model: string | null;
}

/** Observes `bytes` in pieces of `size`, every way: fast path, kept response, LF and CRLF. */
function observeEveryWay(events: Json[]): Seen {
  const results: Seen[] = [];
  for (const keep of [false, true]) {
    for (const eventLines of [true, false]) {
      for (const crlf of [false, true]) {
        const bytes = sse(events, { eventLines, crlf });
        for (const size of [1, 7, bytes.length]) {
          const observer = new SseObserver(keep);
          for (let i = 0; i < bytes.length; i += size) observer.push(bytes.subarray(i, i + size));
          observer.end();
          const { terminal, errorCode, incompleteReason, usage, responseId, model } = observer;
          results.push({ terminal, errorCode, incompleteReason, usage, responseId, model });
        }
      }
    }
  }
  for (const result of results) expect(result).toEqual(results[0]);
  return results[0];
}

describe('SseObserver', () => {
  it('reads a completed response: terminal, usage, id and model, however framed and split', () => {
    const seen = observeEveryWay([
      CREATED,
      DELTA,
      { type: 'response.completed', response: response({ status: 'completed', usage: USAGE }) },
    ]);
    expect(seen).toEqual({
      terminal: 'completed',
      errorCode: null,
      incompleteReason: null,
      usage: OBSERVED,
      responseId: 'resp_1',
      model: 'gpt-5.1-codex',
    });
  });

  it('treats response.done like response.completed, unless its status says otherwise', () => {
    const done = (status: string, extra: Json = {}) => [
      CREATED,
      { type: 'response.done', response: response({ status, usage: USAGE, ...extra }) },
    ];
    expect(observeEveryWay(done('completed')).terminal).toBe('completed');
    expect(observeEveryWay(done('incomplete', { incomplete_details: { reason: 'max_output_tokens' } }))).toMatchObject({
      terminal: 'incomplete',
      incompleteReason: 'max_output_tokens',
      usage: OBSERVED,
    });
    expect(observeEveryWay(done('failed', { error: { code: 'server_error', message: 'x' } }))).toMatchObject({
      terminal: 'failed',
      errorCode: 'server_error',
    });
    expect(observeEveryWay(done('cancelled'))).toMatchObject({ terminal: 'failed', errorCode: 'response_cancelled' });
  });

  it('reads an incomplete response as incomplete with its reason and usage', () => {
    const seen = observeEveryWay([
      CREATED,
      DELTA,
      {
        type: 'response.incomplete',
        response: response({ status: 'incomplete', incomplete_details: { reason: 'content_filter' }, usage: USAGE }),
      },
    ]);
    expect(seen).toMatchObject({ terminal: 'incomplete', incompleteReason: 'content_filter', usage: OBSERVED });
  });

  it('reads response.failed and error events as failed, with their codes', () => {
    expect(
      observeEveryWay([
        CREATED,
        {
          type: 'response.failed',
          response: response({ status: 'failed', error: { code: 'rate_limit_exceeded', message: 'm' }, usage: null }),
        },
      ]),
    ).toMatchObject({ terminal: 'failed', errorCode: 'rate_limit_exceeded', usage: null });
    expect(
      observeEveryWay([CREATED, { type: 'response.failed', response: response({ status: 'failed', error: null }) }]),
    ).toMatchObject({ terminal: 'failed', errorCode: 'response_failed' });
    // The Responses API's error event (code at the top), and the WebSocket shape (an error object).
    expect(
      observeEveryWay([CREATED, DELTA, { type: 'error', code: 'context_length_exceeded', message: 'm', param: null }]),
    ).toMatchObject({ terminal: 'failed', errorCode: 'context_length_exceeded' });
    expect(
      observeEveryWay([{ type: 'error', status: 400, error: { type: 'invalid_request_error', message: 'm' } }]),
    ).toMatchObject({ terminal: 'failed', errorCode: 'invalid_request_error' });
  });

  it('leaves terminal null when the stream ends without a terminal event, and lets the first one decide', () => {
    expect(observeEveryWay([CREATED, DELTA])).toMatchObject({ terminal: null, usage: null });
    const seen = observeEveryWay([
      CREATED,
      { type: 'response.completed', response: response({ status: 'completed', usage: USAGE }) },
      { type: 'error', code: 'late', message: 'm' },
      { type: 'response.failed', response: response({ status: 'failed', error: { code: 'later' } }) },
    ]);
    expect(seen).toMatchObject({ terminal: 'completed', errorCode: null, usage: OBSERVED });
  });

  it('keeps unknown token counts unknown, never zero', () => {
    expect(usageFrom({ input_tokens: 3 })).toEqual({
      inputTokens: 3,
      cachedInputTokens: null,
      outputTokens: null,
      reasoningTokens: null,
    });
    expect(usageFrom(null)).toBeNull();
    expect(usageFrom({ input_tokens: 'x', output_tokens: Infinity })).toMatchObject({ inputTokens: null });
    expect(
      observeEveryWay([{ type: 'response.completed', response: response({ usage: { output_tokens: 7 } }) }]).usage,
    ).toEqual({ inputTokens: null, cachedInputTokens: null, outputTokens: 7, reasoningTokens: null });
  });

  it('reads token counts from the bytes as a parse would, whatever their form', () => {
    const shapes: unknown[] = [
      { input_tokens: 0, output_tokens: 123456789012345, total_tokens: 1 },
      { input_tokens: 1e21, output_tokens: 1.5, input_tokens_details: { cached_tokens: 2e3 } },
      { input_tokens: -4, output_tokens: null, output_tokens_details: { reasoning_tokens: '7' } },
      { input_tokens_details: 5, output_tokens_details: [1], input_tokens: 'x' },
      { input_tokens_details: { other: { cached_tokens: 1 }, cached_tokens: 9 }, output_tokens: 0.0 },
      {},
      [],
      'usage',
      null,
    ];
    for (const usage of shapes) {
      const seen = observeEveryWay([{ type: 'response.completed', response: response({ usage }) }]);
      expect(seen.usage).toEqual(usageFrom(usage));
    }
    // Spaces and tabs inside the usage object, as JSON allows (a line break would end the SSE line).
    const spaced = Buffer.from(
      'data: {"type":"response.completed","response":{"id":"r1","usage": { "input_tokens" : 12 ,' +
        ' "input_tokens_details" :{ "cached_tokens":3 } , "output_tokens":\t7 ,"output_tokens_details":{"reasoning_tokens" : 2}} }}\n\n',
    );
    const fast = new SseObserver(false);
    const slow = new SseObserver(true);
    for (const observer of [fast, slow]) {
      observer.push(spaced);
      observer.end();
    }
    expect(fast.usage).toEqual({ inputTokens: 12, cachedInputTokens: 3, outputTokens: 7, reasoningTokens: 2 });
    expect(slow.usage).toEqual(fast.usage);
  });

  it('keeps the completed response object for non-stream clients', () => {
    const observer = new SseObserver(true);
    const completed = response({ status: 'completed', usage: USAGE, output: [{ type: 'message' }] });
    observer.push(sse([CREATED, { type: 'response.completed', response: completed }]));
    expect(observer.completedResponse).toEqual(completed);
  });

  it('reads quota windows from codex.rate_limits events, unless told not to', () => {
    const bytes = sse([RATE_LIMITS, CREATED], { crlf: true });
    const observer = new SseObserver();
    const before = Date.now();
    observer.push(bytes);
    expect(observer.quota).toMatchObject({
      planType: 'pro',
      primary: { usedPercent: 12.5, windowMinutes: 300, resetsAt: new Date(1_700_003_600_000) },
      secondary: { usedPercent: 40, windowMinutes: 10080 },
    });
    const resetsAt = observer.quota!.secondary!.resetsAt!.getTime();
    expect(resetsAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(resetsAt).toBeLessThanOrEqual(Date.now() + 60_000);
    const skipping = new SseObserver(false, false);
    skipping.push(bytes);
    expect(skipping.quota).toBeNull();
  });

  it('reads quota windows from x-codex-* headers', () => {
    expect(
      quotaFromHeaders({
        'x-codex-primary-used-percent': '25',
        'x-codex-primary-window-minutes': '300',
        'x-codex-primary-reset-at': '1700000000',
        'x-codex-credits-balance': '5',
        'x-codex-credits-unlimited': 'false',
      }),
    ).toEqual({
      planType: null,
      primary: { usedPercent: 25, windowMinutes: 300, resetsAt: new Date(1_700_000_000_000) },
      secondary: null,
      creditsBalance: 5,
      creditsUnlimited: false,
    });
    expect(quotaFromHeaders({ 'content-type': 'text/event-stream' })).toBeNull();
  });

  it('names one meaning per terminal event', () => {
    expect(
      ['response.completed', 'response.incomplete', 'response.failed', 'error', 'response.done'].map((type) =>
        terminalOf(type),
      ),
    ).toEqual(['completed', 'incomplete', 'failed', 'failed', 'completed']);
    expect(terminalOf('response.output_text.delta')).toBeNull();
  });
});
