// Request shapes for the load scenarios: a Codex CLI first turn (about 40 KB, 9 tools) and an
// OpenAI SDK chat completion of similar size. Deterministic, one variant per connection.
import { randomUUID } from 'node:crypto';

export const MODEL = 'gpt-5.1-codex';

// Filler that reads like prose so the JSON has realistic escapes and no giant single token.
function prose(words, seed) {
  const vocab = [
    'the',
    'agent',
    'must',
    'read',
    'files',
    'before',
    'editing',
    'them',
    'and',
    'keep',
    'changes',
    'small',
    'run',
    'tests',
    'when',
    'available',
    'prefer',
    'ripgrep',
    'over',
    'grep',
    'never',
    'revert',
    'user',
    'work',
    'explain',
    'plan',
    'briefly',
    "don't",
    'guess',
    'paths',
    'use',
    '`apply_patch`',
    'for',
    'edits',
    'sandbox',
    'approval',
    '"quoted"',
    'output',
    'format',
    'markdown',
  ];
  let x = seed >>> 0 || 1;
  const out = [];
  for (let i = 0; i < words; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.push(vocab[x % vocab.length]);
    if (i % 17 === 16) out.push('.\n');
  }
  return out.join(' ');
}

const INSTRUCTIONS = `You are Codex, a coding agent based on GPT-5. You and the user share the same workspace.\n\n${prose(4300, 7)}`;
const DEVELOPER = `<permissions instructions>\n${prose(500, 11)}\n</permissions instructions>`;
const AGENTS_MD = `# AGENTS.md instructions for /home/user/project\n\n<INSTRUCTIONS>\n${prose(700, 13)}\n</INSTRUCTIONS>`;
const ENV_CONTEXT =
  '<environment_context>\n  <cwd>/home/user/project</cwd>\n  <approval_policy>on-request</approval_policy>\n  <sandbox_mode>workspace-write</sandbox_mode>\n  <network_access>restricted</network_access>\n  <shell>bash</shell>\n</environment_context>';
const PROMPT = 'Summarise what the build script in this repository does and list its inputs.';

function schema(properties, required) {
  return { type: 'object', properties, required, additionalProperties: false };
}
const str = (description) => ({ type: 'string', description });

const TOOL_DEFS = [
  [
    'shell_command',
    'Runs a shell command and returns its output. ' + prose(120, 21),
    schema(
      {
        command: str('The shell script to execute.'),
        workdir: str('Working directory.'),
        timeout_ms: { type: 'number', description: 'Timeout.' },
        with_escalated_permissions: { type: 'boolean', description: 'Escalate.' },
        justification: str('Why escalation is needed.'),
      },
      ['command'],
    ),
  ],
  [
    'update_plan',
    'Updates the task plan. ' + prose(80, 22),
    schema(
      {
        explanation: str('Why.'),
        plan: {
          type: 'array',
          items: schema({ step: str('Step.'), status: str('pending, in_progress or completed') }, ['step', 'status']),
        },
      },
      ['plan'],
    ),
  ],
  [
    'apply_patch',
    'Use the apply_patch tool to edit files. ' + prose(260, 23),
    schema({ input: str('The entire contents of the apply_patch command.') }, ['input']),
  ],
  [
    'view_image',
    'Attach a local image to the conversation. ' + prose(30, 24),
    schema({ path: str('Local filesystem path to an image file.') }, ['path']),
  ],
  [
    'list_mcp_resources',
    'Lists resources provided by MCP servers. ' + prose(60, 25),
    schema({ server: str('Server name.'), cursor: str('Cursor.') }, []),
  ],
  [
    'list_mcp_resource_templates',
    'Lists resource templates provided by MCP servers. ' + prose(60, 26),
    schema({ server: str('Server name.'), cursor: str('Cursor.') }, []),
  ],
  [
    'read_mcp_resource',
    'Read a specific resource from an MCP server. ' + prose(50, 27),
    schema({ server: str('Server name.'), uri: str('Resource URI.') }, ['server', 'uri']),
  ],
  [
    'exec_command',
    'Runs a command in a PTY. ' + prose(90, 28),
    schema(
      {
        cmd: str('Command.'),
        yield_time_ms: { type: 'number', description: 'Yield.' },
        max_output_tokens: { type: 'number', description: 'Max.' },
      },
      ['cmd'],
    ),
  ],
  [
    'write_stdin',
    'Writes characters to an exec session. ' + prose(50, 29),
    schema({ session_id: { type: 'number', description: 'Session.' }, chars: str('Characters.') }, ['session_id']),
  ],
];

const RESPONSES_TOOLS = TOOL_DEFS.map(([name, description, parameters]) => ({
  type: 'function',
  name,
  description,
  strict: false,
  parameters,
}));
const CHAT_TOOLS = TOOL_DEFS.map(([name, description, parameters]) => ({
  type: 'function',
  function: { name, description, parameters },
}));

const text = (role, t) => ({
  type: 'message',
  role,
  content: [{ type: role === 'assistant' ? 'output_text' : 'input_text', text: t }],
});

/** Body and headers of Codex CLI 0.169's first turn, for one session. */
export function codexRequest(sessionId = randomUUID()) {
  const body = {
    model: MODEL,
    instructions: INSTRUCTIONS,
    input: [text('developer', DEVELOPER), text('user', AGENTS_MD), text('user', ENV_CONTEXT), text('user', PROMPT)],
    tools: RESPONSES_TOOLS,
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: sessionId,
    client_metadata: { originator: 'codex_exec' },
  };
  const turnId = randomUUID();
  const headers = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    session_id: sessionId,
    'session-id': sessionId,
    'thread-id': sessionId,
    'x-client-request-id': sessionId,
    'x-codex-window-id': randomUUID(),
    'x-codex-turn-metadata': JSON.stringify({
      installation_id: '5b0f0e4c-2d1e-4f57-9a53-8f1a0e3c1d11',
      session_id: sessionId,
      thread_id: sessionId,
      turn_id: turnId,
    }),
    'x-codex-beta-features': 'unified_exec',
    originator: 'codex_exec',
    'user-agent': 'codex_exec/0.169.0 (Linux 6.8.0; x86_64) xterm-256color',
  };
  return { body: JSON.stringify(body), headers };
}

/** An OpenAI SDK chat completion of the same content (system prompt, 9 tools, one user turn). */
export function chatRequest(stream, n = 0) {
  const body = {
    model: MODEL,
    messages: [
      { role: 'system', content: INSTRUCTIONS },
      { role: 'developer', content: DEVELOPER },
      { role: 'user', content: AGENTS_MD },
      { role: 'user', content: `${PROMPT} (conversation ${n})` },
    ],
    tools: CHAT_TOOLS,
    tool_choice: 'auto',
    parallel_tool_calls: false,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
  const headers = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'user-agent': 'OpenAI/JS 6.49.0',
    'x-stainless-lang': 'js',
  };
  return { body: JSON.stringify(body), headers };
}
