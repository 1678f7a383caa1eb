// Builds the Responses API event stream as ready-to-write SSE frames, by string templates.
import { randomId } from './jwt';

export interface RateLimitSnapshot {
  planType: string;
  primaryUsed: number;
  primaryResetAt: number;
  secondaryUsed: number;
  secondaryResetAt: number;
  credits: { hasCredits: boolean; unlimited: boolean; balance: string };
}

export interface Usage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type OutputPlan =
  | { kind: 'text'; text: string; chunks: string[] }
  | { kind: 'function_call'; name: string; arguments: string; chunks: string[] }
  | { kind: 'compaction'; encryptedContent: string; chunks: string[] };

export interface StreamPlan {
  responseId: string;
  model: string;
  createdAt: number;
  output: OutputPlan;
  usage: Usage;
  rateLimits: RateLimitSnapshot;
}

// Static pieces, built once: only ids, numbers and model text vary per response.
const EVENT_PREFIX: Record<string, string> = {};
for (const type of [
  'codex.rate_limits',
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.content_part.added',
  'response.output_text.delta',
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.completed',
  'response.failed',
]) {
  EVENT_PREFIX[type] = `event: ${type}\ndata: {"type":"${type}"`;
}
const FRAME_END = '}\n\n';

function frame(type: string, seq: number, rest: string): string {
  return `${EVENT_PREFIX[type]},"sequence_number":${seq}${rest}${FRAME_END}`;
}

export function newResponseId(): string {
  return `resp_${randomId(16)}`;
}

export function rateLimitEventJson(r: RateLimitSnapshot): string {
  const now = Math.floor(Date.now() / 1000);
  return (
    `{"type":"codex.rate_limits","plan_type":${JSON.stringify(r.planType)},"rate_limits":{"allowed":true,` +
    `"limit_reached":${r.primaryUsed >= 100 || r.secondaryUsed >= 100},` +
    `"primary":{"used_percent":${round(r.primaryUsed)},"window_minutes":300,"reset_at":${r.primaryResetAt},` +
    `"reset_after_seconds":${Math.max(0, r.primaryResetAt - now)}},` +
    `"secondary":{"used_percent":${round(r.secondaryUsed)},"window_minutes":10080,"reset_at":${r.secondaryResetAt},` +
    `"reset_after_seconds":${Math.max(0, r.secondaryResetAt - now)}}},` +
    `"credits":{"has_credits":${r.credits.hasCredits},"unlimited":${r.credits.unlimited},` +
    `"balance":${JSON.stringify(r.credits.balance)}},"promo":null}`
  );
}

/** All frames of one streamed response, in wire order. */
export function buildFrames(plan: StreamPlan): string[] {
  const frames: string[] = [];
  const rl = rateLimitEventJson(plan.rateLimits);
  // codex.rate_limits carries no sequence number upstream; it is a side channel.
  frames.push(`event: codex.rate_limits\ndata: ${rl}\n\n`);
  let seq = 0;
  const head =
    `{"id":"${plan.responseId}","object":"response","created_at":${plan.createdAt},` +
    `"model":${JSON.stringify(plan.model)},"store":false,"error":null,"incomplete_details":null`;
  const pending = `,"response":${head},"status":"in_progress","output":[],"usage":null}`;
  frames.push(frame('response.created', seq++, pending));
  frames.push(frame('response.in_progress', seq++, pending));

  const out = plan.output;
  let itemDone: string;
  if (out.kind === 'text') {
    const itemId = `msg_${randomId(16)}`;
    const at = `,"item_id":"${itemId}","output_index":0,"content_index":0`;
    const textJson = JSON.stringify(out.text);
    const part = `{"type":"output_text","annotations":[],"logprobs":[],"text":${textJson}}`;
    frames.push(
      frame(
        'response.output_item.added',
        seq++,
        `,"output_index":0,"item":{"id":"${itemId}","type":"message","status":"in_progress","content":[],"role":"assistant"}`,
      ),
    );
    frames.push(
      frame(
        'response.content_part.added',
        seq++,
        `${at},"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}`,
      ),
    );
    for (const chunk of out.chunks) {
      frames.push(frame('response.output_text.delta', seq++, `${at},"delta":${JSON.stringify(chunk)},"logprobs":[]`));
    }
    frames.push(frame('response.output_text.done', seq++, `${at},"text":${textJson},"logprobs":[]`));
    frames.push(frame('response.content_part.done', seq++, `${at},"part":${part}`));
    itemDone = `{"id":"${itemId}","type":"message","status":"completed","content":[${part}],"role":"assistant"}`;
  } else if (out.kind === 'compaction') {
    const itemId = `cmp_${randomId(16)}`;
    frames.push(
      frame(
        'response.output_item.added',
        seq++,
        `,"output_index":0,"item":{"id":"${itemId}","type":"compaction","encrypted_content":null}`,
      ),
    );
    itemDone = `{"id":"${itemId}","type":"compaction","encrypted_content":${JSON.stringify(out.encryptedContent)}}`;
  } else {
    const itemId = `fc_${randomId(16)}`;
    const callId = `call_${randomId(12)}`;
    const at = `,"item_id":"${itemId}","output_index":0`;
    const name = JSON.stringify(out.name);
    frames.push(
      frame(
        'response.output_item.added',
        seq++,
        `,"output_index":0,"item":{"id":"${itemId}","type":"function_call","status":"in_progress","arguments":"","call_id":"${callId}","name":${name}}`,
      ),
    );
    for (const chunk of out.chunks) {
      frames.push(frame('response.function_call_arguments.delta', seq++, `${at},"delta":${JSON.stringify(chunk)}`));
    }
    const args = JSON.stringify(out.arguments);
    frames.push(frame('response.function_call_arguments.done', seq++, `${at},"arguments":${args}`));
    itemDone = `{"id":"${itemId}","type":"function_call","status":"completed","arguments":${args},"call_id":"${callId}","name":${name}}`;
  }
  frames.push(frame('response.output_item.done', seq++, `,"output_index":0,"item":${itemDone}`));
  frames.push(
    frame(
      'response.completed',
      seq++,
      `,"response":${head},"status":"completed","output":[${itemDone}],"usage":${JSON.stringify(plan.usage)}}`,
    ),
  );
  return frames;
}

/** A stream that starts normally and ends in response.failed (a server error after the first byte). */
export function buildFailedFrames(plan: StreamPlan): string[] {
  const frames = buildFrames(plan).slice(0, 3);
  const head =
    `{"id":"${plan.responseId}","object":"response","created_at":${plan.createdAt},` +
    `"model":${JSON.stringify(plan.model)},"store":false,"incomplete_details":null`;
  const error = '{"code":"server_error","message":"An error occurred while processing your request."}';
  frames.push(
    frame('response.failed', 2, `,"response":${head},"status":"failed","error":${error},"output":[],"usage":null}`),
  );
  return frames;
}

/** Split text into at most `max` word-aligned pieces, so deltas look like a model streaming. */
export function chunkText(text: string, max = 6): string[] {
  if (text.length === 0) return [];
  const words = text.match(/\S+\s*|\s+/g) ?? [text];
  const per = Math.ceil(words.length / max);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += per) out.push(words.slice(i, i + per).join(''));
  return out;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
