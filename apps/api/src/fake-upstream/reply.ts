// Decides what the fake model "says": a deterministic function of the request body.
import { chunkText, type OutputPlan } from './sse';

const ECHO_PREFIX_CHARS = 200;
const TOOL_REQUEST = /\bcall\b[\s\S]*\btools?\b/i;

type Json = Record<string, unknown>;

/**
 * Output for a request: a function call when tools are offered and the last user message asks for
 * one, an echo of a tool result when the last input item is one, otherwise an echo of the prompt.
 */
export function planOutput(body: Json): OutputPlan {
  const input = body.input;
  // Remote compaction: the answer is one opaque compaction item standing for the history.
  if (Array.isArray(input) && input.some((item) => (item as Json)?.type === 'compaction_trigger')) {
    const summary = `Summary of ${input.length - 1} items. Last user message: ${lastUserText(input).slice(0, 200)}`;
    return { kind: 'compaction', encryptedContent: Buffer.from(summary).toString('base64'), chunks: [] };
  }
  const last = Array.isArray(input) && input.length > 0 ? (input[input.length - 1] as Json) : null;
  if (last && last.type === 'function_call_output') {
    const output = typeof last.output === 'string' ? last.output : JSON.stringify(last.output ?? '');
    return textPlan(`Tool result: ${output.slice(0, ECHO_PREFIX_CHARS)}`);
  }
  const prompt = lastUserText(input);
  const tools = Array.isArray(body.tools) ? (body.tools as Json[]) : [];
  if (tools.length > 0 && TOOL_REQUEST.test(prompt)) {
    const tool = pickTool(tools, prompt);
    if (tool) {
      const args = JSON.stringify(sampleArguments(tool.parameters));
      return { kind: 'function_call', name: tool.name, arguments: args, chunks: chunkText(args, 3) };
    }
  }
  return textPlan(prompt ? `Echo: ${prompt.slice(0, ECHO_PREFIX_CHARS)}` : 'Hello from the fake upstream.');
}

function textPlan(text: string): OutputPlan {
  return { kind: 'text', text, chunks: chunkText(text) };
}

/** Text of the last user message, whether input is a string or Responses items. */
export function lastUserText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (!Array.isArray(input)) return '';
  for (let i = input.length - 1; i >= 0; i -= 1) {
    const item = input[i] as Json | null;
    if (!item || item.role !== 'user') continue;
    const content = item.content;
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) {
      return content
        .map((part) => {
          const p = part as Json;
          return typeof p?.text === 'string' ? p.text : '';
        })
        .join('');
    }
    return '';
  }
  return '';
}

function pickTool(tools: Json[], prompt: string): { name: string; parameters: unknown } | null {
  // Responses tools are flat ({type, name, parameters}); chat-style ones nest under `function`.
  const fns = tools
    .map((t) => (t.function && typeof t.function === 'object' ? (t.function as Json) : t))
    .filter((t): t is Json & { name: string } => typeof t.name === 'string');
  if (fns.length === 0) return null;
  const named = fns.find((t) => prompt.includes(t.name));
  const tool = named ?? fns[0];
  return { name: tool.name, parameters: tool.parameters };
}

/** Arguments that satisfy a simple JSON schema's property types, so clients can parse them. */
function sampleArguments(schema: unknown): Json {
  const props = (schema as Json | undefined)?.properties;
  if (!props || typeof props !== 'object') return {};
  const out: Json = {};
  for (const [key, def] of Object.entries(props as Record<string, Json>)) {
    const type = Array.isArray(def?.type) ? def.type[0] : def?.type;
    if (type === 'number' || type === 'integer') out[key] = 1;
    else if (type === 'boolean') out[key] = true;
    else if (type === 'array') out[key] = [];
    else if (type === 'object') out[key] = {};
    else out[key] = Array.isArray(def?.enum) && def.enum.length > 0 ? def.enum[0] : 'fake';
  }
  return out;
}

/** Deterministic token estimate from the raw body size. */
export function estimateTokens(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 4));
}
