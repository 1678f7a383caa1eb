import { chatToResponsesBytes } from './chat-request';

type Json = Record<string, unknown>;

// The translation as a plain object-to-object function: the oracle the byte-splicing one must agree with.
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        typeof part === 'string' ? part : typeof (part as Json)?.text === 'string' ? (part as Json).text : '',
      )
      .join('');
  }
  return '';
}

function userContent(content: unknown): Json[] {
  if (typeof content === 'string') return [{ type: 'input_text', text: content }];
  if (!Array.isArray(content)) return [];
  return content.map((part: Json) => {
    if (part?.type === 'image_url') {
      const url = typeof part.image_url === 'string' ? part.image_url : (part.image_url as Json)?.url;
      return { type: 'input_image', image_url: url };
    }
    return { type: 'input_text', text: String(part?.text ?? '') };
  });
}

function reference(body: Json): Json {
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    throw new Error('messages must be a non-empty array.');
  if (typeof body.model !== 'string' || !body.model) throw new Error('model is required.');
  const instructions: string[] = [];
  const input: Json[] = [];
  for (const raw of body.messages as Json[]) {
    const role = raw?.role;
    if (role === 'system' || role === 'developer') instructions.push(textOf(raw.content));
    else if (role === 'user') input.push({ type: 'message', role: 'user', content: userContent(raw.content) });
    else if (role === 'assistant') {
      const text = textOf(raw.content);
      if (text) input.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
      for (const call of (raw.tool_calls as Json[] | undefined) ?? []) {
        const fn = (call.function ?? {}) as Json;
        input.push({ type: 'function_call', call_id: call.id, name: fn.name, arguments: String(fn.arguments ?? '') });
      }
    } else if (role === 'tool') {
      input.push({ type: 'function_call_output', call_id: raw.tool_call_id, output: textOf(raw.content) });
    } else {
      throw new Error(`Unsupported message role: ${String(role)}.`);
    }
  }
  const out: Json = { model: body.model, input, stream: true, store: false };
  out.instructions = instructions.join('\n\n');
  if (Array.isArray(body.tools)) {
    out.tools = (body.tools as Json[]).map((tool) => {
      const fn = (tool.function ?? {}) as Json;
      return {
        type: 'function',
        name: fn.name,
        description: fn.description,
        parameters: fn.parameters,
        strict: fn.strict,
      };
    });
  }
  const choice = body.tool_choice as Json | string | undefined;
  if (typeof choice === 'string') out.tool_choice = choice;
  else if (choice && typeof choice === 'object')
    out.tool_choice = { type: 'function', name: (choice.function as Json)?.name };
  if (typeof body.parallel_tool_calls === 'boolean') out.parallel_tool_calls = body.parallel_tool_calls;
  const format = body.response_format as Json | undefined;
  if (format?.type === 'json_schema') {
    const schema = (format.json_schema ?? {}) as Json;
    out.text = {
      format: { type: 'json_schema', name: schema.name ?? 'response', schema: schema.schema, strict: schema.strict },
    };
  } else if (format?.type === 'json_object') {
    out.text = { format: { type: 'json_object' } };
  }
  if (typeof body.reasoning_effort === 'string') out.reasoning = { effort: body.reasoning_effort };
  if (typeof body.prompt_cache_key === 'string') out.prompt_cache_key = body.prompt_cache_key;
  return out;
}

function translated(body: unknown): Json {
  return JSON.parse(chatToResponsesBytes(Buffer.from(JSON.stringify(body))).body.toString('utf8')) as Json;
}

describe('chatToResponsesBytes', () => {
  const tools = [
    {
      type: 'function',
      function: {
        name: 'shell',
        description: 'Runs "a" command \\ with \n escapes \u00e9',
        parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] },
        strict: true,
      },
    },
    { type: 'function', function: { name: 'noop' } },
  ];
  const bodies: Json[] = [
    { model: 'gpt-5.1-codex', messages: [{ role: 'user', content: 'hi' }] },
    {
      model: 'gpt-5.1-codex',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'Be "brief".\nAlways.' },
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'part one ' },
            { type: 'text', text: 'two' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:x' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'shell', arguments: '{"cmd":"ls"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'a\tb "c"' },
        { role: 'assistant', content: '' },
        { role: 'assistant', content: 'done \u2603' },
      ],
      tools,
      tool_choice: { type: 'function', function: { name: 'shell' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      reasoning_effort: 'high',
      prompt_cache_key: 'pck-1',
      temperature: 0.3,
    },
    {
      model: 'gpt-5.1-codex',
      messages: [{ role: 'tool', content: [{ type: 'text', text: 'no id' }] }],
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      tools: 'not a list',
    },
  ];

  it('agrees with the object translation, key for key', () => {
    for (const body of bodies) expect(translated(body)).toEqual(JSON.parse(JSON.stringify(reference(body))));
  });

  it('reads the flags the route needs and copies message text as the client sent it', () => {
    const raw = Buffer.from(JSON.stringify(bodies[1]));
    const chat = chatToResponsesBytes(raw);
    expect([chat.model, chat.stream, chat.includeUsage, chat.promptCacheKey]).toEqual([
      'gpt-5.1-codex',
      true,
      true,
      'pck-1',
    ]);
    expect(chat.instructionsPrefix.toString('utf8')).toContain('Be \\"brief\\"');
    const toolBytes = JSON.stringify(tools[0].function.description);
    expect(chat.body.toString('utf8')).toContain(toolBytes);
  });

  it('refuses bodies the object translation refuses, with a 400', () => {
    for (const bad of [
      '{"model":"m","messages":[]}',
      '{"model":"m"}',
      '{"messages":[{"role":"user","content":"x"}]}',
      '{"model":"m","messages":[{"role":"robot","content":"x"}]}',
      '{"model":"m","messages":[1]}',
      '{"model":"m","messages":[{"role":"user","content":"x"}',
    ]) {
      expect(() => chatToResponsesBytes(Buffer.from(bad))).toThrow(expect.objectContaining({ status: 400 }));
    }
  });
});
