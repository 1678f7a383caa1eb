// Chat Completions on top of the Responses API: the Responses event stream back to
// `chat.completion.chunk` events (or one `chat.completion` object for non-stream clients). The
// request side is chat-request.ts.
import type { QuotaSnapshot } from '../accounts/upstream-auth.client';
import { quotaFromRateLimitsEvent, usageFrom, type ObservedUsage } from './sse-observer';

type Json = Record<string, unknown>;

export function chatUsage(usage: ObservedUsage | null): Json | null {
  if (!usage || usage.inputTokens === null || usage.outputTokens === null) return null;
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

interface ToolCallState {
  index: number;
  id: string;
  name: string;
  arguments: string;
}

/** Turns Responses SSE bytes into Chat Completions state and, when streaming, chunk lines. */
export class ChatTranslator {
  id = 'chatcmpl-pending';
  created = Math.floor(Date.now() / 1000);
  model: string;
  text = '';
  usage: ObservedUsage | null = null;
  failed: string | null = null;
  finished = false;
  responseId: string | null = null;
  quota: QuotaSnapshot | null = null;
  private readonly toolCalls = new Map<string, ToolCallState>();
  private roleSent = false;
  private pending = '';

  constructor(
    model: string,
    private readonly stream: boolean,
    private readonly includeUsage: boolean,
    private readonly readQuota = true,
  ) {
    this.model = model;
  }

  /** Feeds upstream bytes; returns the SSE text to send to a streaming client. */
  push(chunk: Buffer | string): string {
    this.pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let out = '';
    let boundary = this.pending.indexOf('\n\n');
    while (boundary !== -1) {
      const block = this.pending.slice(0, boundary);
      this.pending = this.pending.slice(boundary + 2);
      out += this.onBlock(block);
      boundary = this.pending.indexOf('\n\n');
    }
    return out;
  }

  get calls(): ToolCallState[] {
    return [...this.toolCalls.values()].sort((a, b) => a.index - b.index);
  }

  private chunk(delta: Json, finishReason: string | null = null, extra: Json = {}): string {
    const payload = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
      ...extra,
    };
    return this.stream ? `data: ${JSON.stringify(payload)}\n\n` : '';
  }

  private withRole(delta: Json): Json {
    if (this.roleSent) return delta;
    this.roleSent = true;
    return { role: 'assistant', ...delta };
  }

  private onBlock(block: string): string {
    let data = '';
    for (const line of block.split('\n')) if (line.startsWith('data:')) data += line.slice(5).trimStart();
    if (!data || data === '[DONE]') return '';
    let event: Json;
    try {
      event = JSON.parse(data);
    } catch {
      return '';
    }
    const response = (event.response ?? {}) as Json;
    switch (event.type) {
      case 'codex.rate_limits':
        if (this.readQuota) this.quota = quotaFromRateLimitsEvent(event) ?? this.quota;
        return '';
      case 'response.created':
        if (typeof response.id === 'string') {
          this.responseId = response.id;
          this.id = `chatcmpl-${response.id.replace(/^resp_/, '')}`;
        }
        if (typeof response.model === 'string') this.model = response.model;
        if (typeof response.created_at === 'number') this.created = response.created_at;
        return '';
      case 'response.output_text.delta': {
        const delta = String(event.delta ?? '');
        this.text += delta;
        return this.chunk(this.withRole({ content: delta }));
      }
      case 'response.output_item.added': {
        const item = (event.item ?? {}) as Json;
        if (item.type !== 'function_call') return '';
        const state: ToolCallState = {
          index: this.toolCalls.size,
          id: String(item.call_id ?? item.id),
          name: String(item.name ?? ''),
          arguments: '',
        };
        this.toolCalls.set(String(item.id ?? item.call_id), state);
        return this.chunk(
          this.withRole({
            tool_calls: [
              { index: state.index, id: state.id, type: 'function', function: { name: state.name, arguments: '' } },
            ],
          }),
        );
      }
      case 'response.function_call_arguments.delta': {
        const state = this.toolCalls.get(String(event.item_id)) ?? this.calls[this.calls.length - 1];
        if (!state) return '';
        const delta = String(event.delta ?? '');
        state.arguments += delta;
        return this.chunk({ tool_calls: [{ index: state.index, function: { arguments: delta } }] });
      }
      case 'response.completed':
      case 'response.incomplete': {
        this.usage = usageFrom(response.usage);
        this.finished = true;
        const reason =
          this.toolCalls.size > 0 ? 'tool_calls' : event.type === 'response.incomplete' ? 'length' : 'stop';
        let out = this.chunk(this.roleSent ? {} : this.withRole({}), reason);
        const usage = chatUsage(this.usage);
        if (this.includeUsage && this.stream) {
          out += `data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage })}\n\n`;
        }
        return out + (this.stream ? 'data: [DONE]\n\n' : '');
      }
      case 'response.failed': {
        const error = (response.error ?? {}) as Json;
        this.failed = String(error.code ?? 'response_failed');
        this.usage = usageFrom(response.usage);
        this.finished = true;
        if (!this.stream) return '';
        return `data: ${JSON.stringify({ error: { message: String(error.message ?? 'The upstream response failed.'), type: 'server_error', code: this.failed, param: null } })}\n\ndata: [DONE]\n\n`;
      }
      default:
        return '';
    }
  }

  /** The whole answer as one chat.completion object. */
  completion(): Json {
    const calls = this.calls;
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: this.text || (calls.length ? null : ''),
            ...(calls.length
              ? {
                  tool_calls: calls.map((c) => ({
                    id: c.id,
                    type: 'function',
                    function: { name: c.name, arguments: c.arguments },
                  })),
                }
              : {}),
          },
          finish_reason: calls.length ? 'tool_calls' : 'stop',
        },
      ],
      usage: chatUsage(this.usage),
    };
  }
}
