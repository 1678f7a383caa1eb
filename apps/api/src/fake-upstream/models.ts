// Model catalogue in the shape of the Codex backend `/codex/models` answer (Codex CLI's ModelInfo).
import { createHash } from 'node:crypto';
const LEVELS = [
  { effort: 'low', description: 'Fast responses with lighter reasoning' },
  { effort: 'medium', description: 'Balances speed and reasoning depth for everyday tasks' },
  { effort: 'high', description: 'Greater reasoning depth for complex problems' },
];

function model(slug: string, displayName: string, description: string, priority: number, contextWindow: number) {
  return {
    slug,
    display_name: displayName,
    description,
    default_reasoning_level: 'medium',
    supported_reasoning_levels: LEVELS,
    shell_type: 'shell_command',
    visibility: 'list',
    supported_in_api: true,
    priority,
    upgrade: null,
    base_instructions: 'You are a coding agent running in a terminal.',
    supports_reasoning_summaries: true,
    support_verbosity: true,
    default_verbosity: 'low',
    apply_patch_tool_type: 'freeform',
    truncation_policy: { mode: 'tokens', limit: 10000 },
    supports_parallel_tool_calls: true,
    context_window: contextWindow,
    effective_context_window_percent: 95,
    experimental_supported_tools: [],
    input_modalities: ['text', 'image'],
    minimal_client_version: '0.1.0',
    available_in_plans: ['plus', 'pro', 'team', 'business', 'enterprise', 'edu'],
  };
}

export const MODELS_BODY = JSON.stringify({
  models: [
    model('gpt-5.1-codex', 'gpt-5.1-codex', 'Optimized for agentic coding.', 0, 272000),
    model('gpt-5.1-codex-mini', 'gpt-5.1-codex-mini', 'Cheaper, faster codex model.', 1, 272000),
    model('gpt-5.1', 'gpt-5.1', 'General-purpose model with broad knowledge.', 2, 272000),
    model('gpt-5', 'gpt-5', 'Previous general-purpose model.', 3, 272000),
  ],
});

export const MODELS_ETAG = `"${createHash('sha256').update(MODELS_BODY).digest('hex').slice(0, 16)}"`;
