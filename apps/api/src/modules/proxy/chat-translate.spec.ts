import { buildFrames, chunkText, type StreamPlan } from '../../fake-upstream/sse';
import { ChatTranslator } from './chat-translate';

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
  for (let i = 0; i < bytes.length; i += step) out += translator.push(bytes.subarray(i, i + step));
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
