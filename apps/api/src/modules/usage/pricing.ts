// Model prices for cost estimates and cost limits: USD per million tokens, from OpenAI's public
// API price list (the Codex backend does not bill per token, so these are what the same usage
// would cost on the API). One table, imported by the key limiter, the proxy and usage reports.
// An unknown model has no price: callers get null, never a misleading zero.

export interface ModelPrice {
  /** USD per 1M uncached input tokens. */
  input: number;
  /** USD per 1M cached input tokens (those are part of the input count, billed at this rate). */
  cachedInput: number;
  /** USD per 1M output tokens; reasoning tokens are output tokens and billed as such. */
  output: number;
}

export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens?: number;
  outputTokens: number;
}

const GPT_5: ModelPrice = { input: 1.25, cachedInput: 0.125, output: 10 };
const GPT_5_2: ModelPrice = { input: 1.75, cachedInput: 0.175, output: 14 };
const GPT_5_MINI: ModelPrice = { input: 0.25, cachedInput: 0.025, output: 2 };
const GPT_5_NANO: ModelPrice = { input: 0.05, cachedInput: 0.005, output: 0.4 };

/** Exact names first; a trailing `*` matches dated snapshots and effort suffixes of a family. */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-5': GPT_5,
  'gpt-5-codex': GPT_5,
  'gpt-5-chat-latest': GPT_5,
  'gpt-5-mini': GPT_5_MINI,
  'gpt-5-nano': GPT_5_NANO,
  'gpt-5-pro': { input: 15, cachedInput: 15, output: 120 },
  'gpt-5.1': GPT_5,
  'gpt-5.1-codex': GPT_5,
  'gpt-5.1-codex-max': GPT_5,
  'gpt-5.1-codex-mini': GPT_5_MINI,
  'gpt-5.1-chat-latest': GPT_5,
  'gpt-5.2': GPT_5_2,
  'gpt-5.2-codex': GPT_5_2,
  'gpt-5.2-chat-latest': GPT_5_2,
  'codex-mini-latest': { input: 1.5, cachedInput: 0.375, output: 6 },
  // Families: longest prefix wins, so 'gpt-5.1-codex-mini-…' is priced as mini, not as codex.
  'gpt-5.2-codex-*': GPT_5_2,
  'gpt-5.2-*': GPT_5_2,
  'gpt-5.1-codex-mini-*': GPT_5_MINI,
  'gpt-5.1-codex-max-*': GPT_5,
  'gpt-5.1-codex-*': GPT_5,
  'gpt-5.1-*': GPT_5,
  'gpt-5-codex-*': GPT_5,
  'gpt-5-mini-*': GPT_5_MINI,
  'gpt-5-nano-*': GPT_5_NANO,
  'gpt-5-pro-*': { input: 15, cachedInput: 15, output: 120 },
  'gpt-5-20*': GPT_5,
};

const WILDCARDS = Object.keys(MODEL_PRICES)
  .filter((name) => name.endsWith('*'))
  .map((name) => ({ prefix: name.slice(0, -1), price: MODEL_PRICES[name] }))
  .sort((a, b) => b.prefix.length - a.prefix.length);

/** Normalises what clients send ('openai/GPT-5.1-Codex ') to the table's names. */
export function normalizeModel(model: string): string {
  const trimmed = model.trim().toLowerCase();
  const slash = trimmed.lastIndexOf('/');
  return slash >= 0 ? trimmed.slice(slash + 1) : trimmed;
}

/** Prices by the name a client sent; every request asks, and names are few. */
const PRICE_MEMO = new Map<string, ModelPrice | null>();
const PRICE_MEMO_MAX = 1_000;

export function priceFor(model: string | null | undefined): ModelPrice | null {
  if (!model) return null;
  const memo = PRICE_MEMO.get(model);
  if (memo !== undefined) return memo;
  const price = lookUpPrice(model);
  if (PRICE_MEMO.size < PRICE_MEMO_MAX) PRICE_MEMO.set(model, price);
  return price;
}

function lookUpPrice(model: string): ModelPrice | null {
  const name = normalizeModel(model);
  // A pattern is not a model: 'gpt-5.1-*' in a request or a log has no price.
  if (name.includes('*')) return null;
  if (Object.prototype.hasOwnProperty.call(MODEL_PRICES, name)) return MODEL_PRICES[name];
  for (const { prefix, price } of WILDCARDS) if (name.startsWith(prefix)) return price;
  return null;
}

/** Cost of a response in USD, or null when the model has no known price. */
export function estimateCostUsd(model: string | null | undefined, usage: TokenUsage): number | null {
  const price = priceFor(model);
  if (!price) return null;
  const input = Math.max(0, usage.inputTokens || 0);
  const cached = Math.min(input, Math.max(0, usage.cachedInputTokens || 0));
  const output = Math.max(0, usage.outputTokens || 0);
  return ((input - cached) * price.input + cached * price.cachedInput + output * price.output) / 1_000_000;
}

/**
 * Whether a model name matches a pattern from an allowlist or a per-model limit: the same name,
 * or a pattern ending in `*` that the name starts with. Both sides are normalised.
 */
export function modelMatches(pattern: string, model: string | null | undefined): boolean {
  if (!model) return false;
  const p = normalizeModel(pattern);
  const m = normalizeModel(model);
  return p.endsWith('*') ? m.startsWith(p.slice(0, -1)) : m === p;
}
