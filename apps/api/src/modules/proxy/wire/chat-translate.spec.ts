import fc from 'fast-check';
import { buildFrames, chunkText, type StreamPlan } from '../../../fake-upstream/sse';
import { ChatTranslator, chatUsage, chatUsageJson, finishReasonOf } from './chat-translate';

type Json = Record<string, unknown>;

const TEXT = 'Hello "world" \\ é ☃, and a\nnew line.';

function plan(output: StreamPlan['output']): StreamPlan {
  return {
    responseId: 'resp_abc123',
    model: 'gpt-5.1-codex',
    createdAt: 1_700_000_000,
    output,
    usage: {
      input_tokens: 120,
      input_tokens_details: { cached_tokens: 20 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 5 },
      total_tokens: 150,
    },
    rateLimits: {
      planType: 'pro',
      primaryUsed: 10,
      primaryResetAt: 1_700_003_600,
      secondaryUsed: 20,
      secondaryResetAt: 1_700_600_000,
      credits: { hasCredits: false, unlimited: false, balance: '0' },
    },
  };
}

const textPlan = plan({ kind: 'text', text: TEXT, chunks: chunkText(TEXT, 4) });
const callPlan = plan({
  kind: 'function_call',
  name: 'shell',
  arguments: '{"cmd":"ls -la"}',
  chunks: ['{"cmd":', '"ls -la"}'],
});

/** Feeds the stream in pieces of `size` bytes (0: one piece) and collects what the client gets. */
function translate(frames: string[], stream: boolean, size: number, dropEventLines = false): [string, ChatTranslator] {
  const translator = new ChatTranslator('requested-model', stream, true);
  let text = frames.join('');
  if (dropEventLines) text = text.replace(/^event: .*\n/gm, '');
  const bytes = Buffer.from(text);
  let out = '';
  const step = size || bytes.length;
  for (let i = 0; i < bytes.length; i += step) out += translator.push(bytes.subarray(i, i + step)).toString();
  return [out, translator];
}

function chunksOf(out: string): (Json | string)[] {
  return out
    .split('\n\n')
    .filter(Boolean)
    .map((line) => line.replace(/^data: /, ''))
    .map((data) => (data === '[DONE]' ? data : (JSON.parse(data) as Json)));
}

describe('ChatTranslator', () => {
  it('streams text as chunks: role first, the text in order, the finish reason, usage, [DONE]', () => {
    const [out] = translate(buildFrames(textPlan), true, 0);
    const chunks = chunksOf(out);
    expect(chunks[chunks.length - 1]).toBe('[DONE]');
    const objects = chunks.filter((c): c is Json => typeof c === 'object');
    for (const c of objects) expect(c).toMatchObject({ id: 'chatcmpl-abc123', object: 'chat.completion.chunk' });
    const deltas = objects.map((c) => (c.choices as Json[])[0]?.delta as Json | undefined);
    expect(deltas[0]).toMatchObject({ role: 'assistant' });
    expect(deltas.map((d) => d?.content ?? '').join('')).toBe(TEXT);
    expect((objects[objects.length - 2].choices as Json[])[0].finish_reason).toBe('stop');
    expect(objects[objects.length - 1]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
      model: 'gpt-5.1-codex',
      created: 1_700_000_000,
    });
  });

  it('answers the same whether events are read from their bytes or parsed, however the bytes are split', () => {
    for (const frames of [buildFrames(textPlan), buildFrames(callPlan)]) {
      for (const stream of [true, false]) {
        const [expected, reference] = translate(frames, stream, 0, true);
        for (const size of [0, 1, 7, 64]) {
          const [out, translator] = translate(frames, stream, size);
          expect(out).toBe(expected);
          expect([translator.usage, translator.responseId, translator.finished, translator.quota]).toEqual([
            reference.usage,
            reference.responseId,
            reference.finished,
            reference.quota,
          ]);
          if (!stream) {
            expect(translator.completion()).toEqual(reference.completion());
            // What is sent: the same bytes as serializing the object.
            expect(translator.completionJson()).toBe(JSON.stringify(reference.completion()));
          }
        }
      }
    }
  });

  it('reads each delta after the first without a walk, and one laid out otherwise as a parse would', () => {
    const delta = (sequence: string, item: string, text: string) =>
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${sequence},` +
      `"item_id":"${item}","output_index":0,"content_index":0,"delta":${JSON.stringify(text)},"logprobs":[]}\n\n`;
    const frames = buildFrames(plan({ kind: 'text', text: '', chunks: [] }));
    const [head, tail] = [frames.slice(0, 5), frames.slice(5)];
    const deltas = [
      delta('9', 'msg_1', 'nine '),
      delta('10', 'msg_1', 'ten '),
      // Not JSON (a number with a leading zero): a parse refuses it, and so must the byte path.
      delta('011', 'msg_1', 'refused '),
      delta('12', 'msg_1', '"twelve" '),
      delta('13', 'msg_22', 'another item '),
      delta('14', 'msg_1', 'é'),
      // The same bytes before a value that is not a string: the parse decides (it takes its text).
      delta('15', 'msg_1', '').replace('"delta":""', '"delta":15'),
    ];
    for (const stream of [true, false]) {
      const all = [...head, ...deltas, ...tail];
      const [out, translator] = translate(all, stream, 0);
      const [expected, reference] = translate(all, stream, 0, true);
      expect(out).toBe(expected);
      const text = 'nine ten "twelve" another item é15';
      if (stream) {
        const contents = chunksOf(out).map((c) =>
          typeof c === 'string' ? '' : (((c.choices as Json[])[0]?.delta as Json)?.content ?? ''),
        );
        expect(contents.join('')).toBe(text);
      } else {
        expect(translator.text).toBe(text);
        expect(translator.completionJson()).toBe(JSON.stringify(reference.completion()));
      }
    }
  });

  it('reads usage and the creation time from the bytes as a parse would, whatever their form', () => {
    const usages: unknown[] = [
      { input_tokens: 7, output_tokens: 123456789012345 },
      { input_tokens: 1.5, output_tokens: 2e3, input_tokens_details: { cached_tokens: 1e21 } },
      { input_tokens: -3, output_tokens: null, output_tokens_details: { reasoning_tokens: '4' } },
      { input_tokens_details: [], output_tokens_details: 5, input_tokens: 0, output_tokens: 0 },
      null,
      'none',
    ];
    for (const usage of usages) {
      for (const createdAt of [1_700_000_000, 1.5, -2]) {
        const custom = { ...textPlan, usage, createdAt } as unknown as StreamPlan;
        for (const stream of [false, true]) {
          const [fastOut, fast] = translate(buildFrames(custom), stream, 0);
          const [slowOut, slow] = translate(buildFrames(custom), stream, 0, true);
          expect(fast.usage).toEqual(slow.usage);
          expect(fastOut).toBe(slowOut);
          if (!stream) {
            expect(fast.completionJson()).toBe(slow.completionJson());
            expect(JSON.parse(fast.completionJson())).toMatchObject({ usage: chatUsage(fast.usage) });
          }
        }
      }
    }
  });

  it('writes the usage JSON exactly as JSON.stringify(chatUsage(...)) would', () => {
    const count = fc.option(fc.nat({ max: 2 ** 40 }), { nil: null });
    fc.assert(
      fc.property(
        fc.option(
          fc.record({ inputTokens: count, cachedInputTokens: count, outputTokens: count, reasoningTokens: count }),
          { nil: null },
        ),
        (usage) => {
          expect(chatUsageJson(usage)).toBe(JSON.stringify(chatUsage(usage)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('collects a tool call for a non-stream client', () => {
    const [, translator] = translate(buildFrames(callPlan), false, 5);
    expect(translator.completion()).toMatchObject({
      choices: [
        {
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ type: 'function', function: { name: 'shell', arguments: '{"cmd":"ls -la"}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 120, completion_tokens: 30 },
    });
  });
});

// Generated event streams: each the bytes of a sequence of Responses events, with or without
// event lines, LF or CRLF framing, split at random points. The oracle is the same translator on
// the same events without event lines, fed whole: every event then takes the object path.

interface Plan {
  text: string[];
  call: { name: string; args: string[] } | null;
  terminal:
    | { kind: 'completed' | 'none' }
    | { kind: 'incomplete'; reason: string | null }
    | { kind: 'done'; status: string }
    | { kind: 'failed'; code: string | null }
    | { kind: 'error'; code: string };
  usage: Json | null;
  late: boolean;
  escapeUnicode: boolean;
  /** The first delta's sequence number (the next ones count up, across digit counts). */
  sequence: number;
  /** Deltas alternate between two items, so their bytes before `delta` differ in length. */
  alternate: boolean;
  /** "function_call" written with an escape, as an upstream may. */
  escapeType: boolean;
}

const piece = fc.string({
  unit: fc.constantFrom('a', 'Z', ' ', '"', '\\', '\n', '\t', 'é', '☃', '\u2028', '😀', '{', '}'),
  maxLength: 6,
});

const planArb: fc.Arbitrary<Plan> = fc.record({
  text: fc.array(piece, { maxLength: 5 }),
  call: fc.option(fc.record({ name: piece, args: fc.array(piece, { maxLength: 3 }) }), { nil: null }),
  terminal: fc.oneof(
    fc.record({ kind: fc.constantFrom('completed' as const, 'none' as const) }),
    fc.record({
      kind: fc.constant('incomplete' as const),
      reason: fc.constantFrom('max_output_tokens', 'content_filter', null),
    }),
    fc.record({ kind: fc.constant('done' as const), status: fc.constantFrom('completed', 'incomplete', 'failed') }),
    fc.record({ kind: fc.constant('failed' as const), code: fc.constantFrom('server_error', null) }),
    fc.record({ kind: fc.constant('error' as const), code: fc.constantFrom('context_length_exceeded', 'x') }),
  ),
  usage: fc.option(
    fc.record(
      {
        input_tokens: fc.nat(1000),
        output_tokens: fc.nat(1000),
        input_tokens_details: fc.record({ cached_tokens: fc.nat(9) }),
      },
      { requiredKeys: [] },
    ),
    { nil: null },
  ),
  late: fc.boolean(),
  escapeUnicode: fc.boolean(),
  sequence: fc.constantFrom(0, 7, 8, 9, 98, 99, 999),
  alternate: fc.boolean(),
  escapeType: fc.boolean(),
});

function eventsOf(plan: Plan): Json[] {
  const response = (extra: Json) => ({
    id: 'resp_gen1',
    object: 'response',
    created_at: 1_700_000_123,
    model: 'gpt-gen',
    instructions: 'i "x"',
    ...extra,
  });
  const events: Json[] = [
    { type: 'response.created', response: response({ status: 'in_progress', usage: null }) },
    { type: 'response.in_progress', response: response({ status: 'in_progress' }) },
    { type: 'response.output_item.added', output_index: 0, item: { id: 'msg_1', type: 'message', role: 'assistant' } },
  ];
  plan.text.forEach((delta, i) =>
    events.push({
      type: 'response.output_text.delta',
      sequence_number: plan.sequence + i,
      item_id: plan.alternate && i % 2 === 1 ? 'msg_22' : 'msg_1',
      delta,
      logprobs: [],
    }),
  );
  if (plan.call) {
    events.push({
      type: 'response.output_item.added',
      output_index: 1,
      item: { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: plan.call.name, arguments: '' },
    });
    for (const delta of plan.call.args)
      events.push({ type: 'response.function_call_arguments.delta', item_id: 'fc_1', delta });
  }
  const t = plan.terminal;
  const usage = plan.usage;
  if (t.kind === 'completed')
    events.push({ type: 'response.completed', response: response({ status: 'completed', usage }) });
  if (t.kind === 'incomplete') {
    events.push({
      type: 'response.incomplete',
      response: response({ status: 'incomplete', incomplete_details: t.reason ? { reason: t.reason } : null, usage }),
    });
  }
  if (t.kind === 'done') {
    const extra = t.status === 'failed' ? { error: { code: 'done_failed', message: 'm' } } : {};
    events.push({
      type: 'response.done',
      response: response({ status: t.status, usage, ...extra, incomplete_details: null }),
    });
  }
  if (t.kind === 'failed') {
    events.push({
      type: 'response.failed',
      response: response({ status: 'failed', error: t.code ? { code: t.code, message: 'boom' } : null, usage }),
    });
  }
  if (t.kind === 'error') events.push({ type: 'error', code: t.code, message: 'bad', param: null });
  if (plan.late)
    events.push({
      type: 'response.completed',
      response: response({ status: 'completed', usage: { input_tokens: 999999 } }),
    });
  return events;
}

function streamText(events: Json[], eventLines: boolean, escapeUnicode: boolean, escapeType = false): string {
  return events
    .map((event) => {
      let data = JSON.stringify(event);
      if (escapeType) data = data.replace('"type":"function_call"', '"type":"function\\u005fcall"');
      // Upstreams may escape non-ASCII text: both paths must read it the same.
      if (escapeUnicode)
        data = data.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
      return `${eventLines ? `event: ${String(event.type)}\n` : ''}data: ${data}\n\n`;
    })
    .join('');
}

function run(text: string, stream: boolean, cuts: number[]): [string, ChatTranslator] {
  const translator = new ChatTranslator('requested', stream, true);
  const bytes = Buffer.from(text);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let out = '';
  let at = 0;
  for (const point of [...points, bytes.length]) {
    out += translator.push(bytes.subarray(at, point)).toString();
    at = point;
  }
  return [out, translator];
}

describe('ChatTranslator on generated event streams', () => {
  it('answers the same from bytes as from parsed events, for any framing and split', () => {
    fc.assert(
      fc.property(
        planArb,
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        (plan, stream, crlf, cuts) => {
          const events = eventsOf(plan);
          let text = streamText(events, true, plan.escapeUnicode, plan.escapeType);
          if (crlf) text = text.replace(/\n\n/g, '\r\n\r\n').replace(/([^\r])\n/g, '$1\r\n');
          const [out, translator] = run(text, stream, cuts);
          const [expected, reference] = run(streamText(events, false, plan.escapeUnicode, plan.escapeType), stream, []);
          expect(chunksOf(out)).toEqual(chunksOf(expected));
          for (const key of [
            'usage',
            'responseId',
            'model',
            'finished',
            'failed',
            'terminal',
            'incompleteReason',
            'id',
            'created',
          ] as const) {
            expect(translator[key]).toEqual(reference[key]);
          }
          // A streaming translator sends the text as it comes and does not collect it.
          if (!stream) {
            expect(translator.completion()).toEqual(reference.completion());
            expect(JSON.parse(translator.completionJson())).toEqual(translator.completion());
          }

          // And against the plan itself.
          const t = plan.terminal;
          const terminal =
            t.kind === 'none'
              ? null
              : t.kind === 'done'
                ? (t.status as 'completed' | 'incomplete' | 'failed')
                : t.kind === 'error'
                  ? 'failed'
                  : t.kind;
          expect(translator.terminal).toBe(terminal === null && plan.late ? 'completed' : terminal);
          const reason = finishReasonOf(
            translator.terminal,
            t.kind === 'incomplete' ? t.reason : null,
            plan.call !== null,
          );
          if (stream) {
            if (translator.terminal === null || translator.terminal === 'failed') return;
            const objects = chunksOf(out).filter(
              (c): c is Json => typeof c === 'object' && Array.isArray(c.choices) && (c.choices as Json[]).length > 0,
            );
            expect((objects[objects.length - 1].choices as Json[])[0].finish_reason).toBe(reason);
            return;
          }
          const completion = translator.completion() as { choices: { finish_reason: string; message: Json }[] };
          expect(completion.choices[0].message.content).toBe(plan.text.join('') || (plan.call ? null : ''));
          expect(completion.choices[0].finish_reason).toBe(reason);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('ChatTranslator finish reasons', () => {
  const incomplete = (reason: string | null) =>
    buildFrames(textPlan)
      .join('')
      .replace(
        /event: response\.completed\ndata: \{"type":"response\.completed"/,
        'event: response.incomplete\ndata: {"type":"response.incomplete"',
      )
      .replace(
        '"incomplete_details":null,"status":"completed","output"',
        `"incomplete_details":${JSON.stringify(reason ? { reason } : null)},"status":"incomplete","output"`,
      );

  it('says "length" for an incomplete response, streamed or not, and "content_filter" when filtered', () => {
    for (const [reason, expected] of [
      ['max_output_tokens', 'length'],
      [null, 'length'],
      ['content_filter', 'content_filter'],
    ] as const) {
      for (const eventLines of [true, false]) {
        let text = incomplete(reason);
        if (!eventLines) text = text.replace(/^event: .*\n/gm, '');
        const streamed = new ChatTranslator('m', true, false);
        const chunks = chunksOf(streamed.push(text).toString()).filter((c): c is Json => typeof c === 'object');
        expect((chunks[chunks.length - 1].choices as Json[])[0].finish_reason).toBe(expected);
        const whole = new ChatTranslator('m', false, false);
        whole.push(text);
        expect(whole.terminal).toBe('incomplete');
        expect((whole.completion().choices as Json[])[0].finish_reason).toBe(expected);
        expect(JSON.parse(whole.completionJson()).choices[0].finish_reason).toBe(expected);
      }
    }
  });

  it('ends a stream with an error chunk on an error event, and marks it failed', () => {
    const translator = new ChatTranslator('m', true, false);
    const out = translator.push(
      'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_9"}}\n\nevent: error\ndata: {"type":"error","code":"context_length_exceeded","message":"Too long."}\n\n',
    );
    expect(chunksOf(out.toString())).toEqual([
      { error: { message: 'Too long.', type: 'server_error', code: 'context_length_exceeded', param: null } },
      '[DONE]',
    ]);
    expect([translator.terminal, translator.failed, translator.finished]).toEqual([
      'failed',
      'context_length_exceeded',
      true,
    ]);
  });
});
