import fc from 'fast-check';
import { ApiError } from '../../../common/api-error';
import { chatToResponsesBytes, MAX_MESSAGES, MAX_TOOLS, toolsMemoSize } from './chat-request';

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

/** The error chatToResponsesBytes threw, or null. */
function refusal(buf: Buffer): unknown {
  try {
    chatToResponsesBytes(buf);
    return null;
  } catch (error) {
    return error;
  }
}

function expect400(buf: Buffer): void {
  const error = refusal(buf);
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).getStatus()).toBe(400);
  expect((error as ApiError).code).toBe('invalid_request');
}

describe('chatToResponsesBytes bounds and refusals', () => {
  it('answers a bad escape in model or prompt_cache_key with a 400, like any bad JSON', () => {
    for (const body of [
      '{"model":"\\x","messages":[{"role":"user","content":"x"}]}',
      '{"model":"\\u12","messages":[{"role":"user","content":"x"}]}',
      '{"model":"m","prompt_cache_key":"\\x","messages":[{"role":"user","content":"x"}]}',
      '{"model":"m","prompt_cache_key":"\\u12","messages":[{"role":"user","content":"x"}]}',
      '{"model":"m","messages":[{"role":"u\\ser","content":"x"}]}',
      '{"model":"m","messages":[{"role":"user","content":tru}]}',
      '{"model":"m","messages":[{"role":"user","content":[1 2]}]}',
    ]) {
      expect400(Buffer.from(body));
    }
  });

  it('refuses duplicate model, stream and store members', () => {
    for (const name of ['model', 'stream', 'store']) {
      const body = `{"model":"m","stream":true,"store":false,"${name}":"again","messages":[{"role":"user","content":"x"}]}`;
      expect400(Buffer.from(body));
    }
  });

  it(`accepts ${MAX_MESSAGES} messages and ${MAX_TOOLS} tools, and refuses one more of either`, () => {
    const message = '{"role":"user","content":"x"}';
    const messages = (n: number) => `[${Array.from({ length: n }, () => message).join(',')}]`;
    const tools = (n: number) =>
      `[${Array.from({ length: n }, (_, i) => `{"type":"function","function":{"name":"t${i}"}}`).join(',')}]`;
    expect(
      chatToResponsesBytes(Buffer.from(`{"model":"m","messages":${messages(MAX_MESSAGES)}}`)).body.length,
    ).toBeGreaterThan(0);
    expect400(Buffer.from(`{"model":"m","messages":${messages(MAX_MESSAGES + 1)}}`));
    const ok = chatToResponsesBytes(Buffer.from(`{"model":"m","messages":${messages(1)},"tools":${tools(MAX_TOOLS)}}`));
    expect((JSON.parse(ok.body.toString()) as Json).tools).toHaveLength(MAX_TOOLS);
    expect400(Buffer.from(`{"model":"m","messages":${messages(1)},"tools":${tools(MAX_TOOLS + 1)}}`));
  });

  it('refuses a 29 MB body of 10 M empty messages with a 400 after a bounded amount of work', () => {
    const body = Buffer.from(`{"model":"m","messages":[${'{},'.repeat(10_000_000)}{}]}`);
    const error = refusal(body) as ApiError;
    expect(error.getStatus()).toBe(400);
    expect(error.message).toMatch(/exceeds a limit: More than 10000 elements/);
  });

  it('keeps its tool-list memo within its entry and byte bounds', () => {
    const big = 'd'.repeat(300 * 1024);
    for (let i = 0; i < 40; i++) {
      const tools = [{ type: 'function', function: { name: `t${i}`, description: big } }];
      chatToResponsesBytes(
        Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools })),
      );
    }
    const { entries, bytes } = toolsMemoSize();
    expect(entries).toBeLessThanOrEqual(256);
    expect(bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    // A list over 2 MB is translated but not kept.
    const huge = [{ type: 'function', function: { name: 'h', description: 'h'.repeat(3 * 1024 * 1024) } }];
    const out = chatToResponsesBytes(
      Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools: huge })),
    );
    expect((JSON.parse(out.body.toString()) as Json).tools).toEqual([{ type: 'function', ...huge[0].function }]);
    expect(toolsMemoSize().bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
  });
  it("keeps a tool list's translation per owner: another tenant's identical list is translated afresh", () => {
    const tools = [{ type: 'function', function: { name: 'scoped', description: 'per owner' } }];
    const body = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools }));
    chatToResponsesBytes(body, undefined, 'owner-a');
    const before = toolsMemoSize().entries;
    // The same owner again: a hit, nothing added.
    chatToResponsesBytes(body, undefined, 'owner-a');
    expect(toolsMemoSize().entries).toBe(before);
    // Another owner: its own entry, the same translation.
    const other = chatToResponsesBytes(body, undefined, 'owner-b');
    expect(toolsMemoSize().entries).toBe(before + 1);
    expect((JSON.parse(other.body.toString()) as Json).tools).toEqual([{ type: 'function', ...tools[0].function }]);
  });
});

describe('chatToResponsesBytes against the object translation (generated)', () => {
  const text = fc.string({
    unit: fc.constantFrom('a', 'Z', ' ', '"', '\\', '\n', '\t', 'é', '☃', '\u2028', '😀', '{', ']'),
    maxLength: 12,
  });
  const part = fc.oneof(
    fc.record({ type: fc.constant('text'), text }),
    fc.record({ type: fc.constant('image_url'), image_url: fc.oneof(fc.record({ url: text }), text) }),
    text,
  );
  const content = fc.oneof(text, fc.array(part, { maxLength: 3 }));
  const call = fc.record({
    id: text,
    type: fc.constant('function'),
    function: fc.record({ name: text, arguments: text }),
  });
  const message = fc.oneof(
    fc.record({ role: fc.constantFrom('system', 'developer', 'user'), content }),
    fc.record(
      {
        role: fc.constant('assistant'),
        content: fc.oneof(content, fc.constant(null)),
        tool_calls: fc.array(call, { maxLength: 2 }),
      },
      { requiredKeys: ['role'] },
    ),
    fc.record({ role: fc.constant('tool'), tool_call_id: text, content }, { requiredKeys: ['role', 'content'] }),
  );
  const tool = fc.record({
    type: fc.constant('function'),
    function: fc.record(
      {
        name: text,
        description: text,
        parameters: fc.jsonValue({ maxDepth: 2 }),
        strict: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  });
  const body = fc.record(
    {
      model: text.filter((m) => m.length > 0),
      messages: fc.array(message, { minLength: 1, maxLength: 5 }),
      stream: fc.boolean(),
      stream_options: fc.oneof(
        fc.record({ include_usage: fc.boolean() }),
        fc.record({ include_usage: fc.constantFrom(true, 1, 'true', null) }, { requiredKeys: [] }),
        fc.constant(null),
      ),
      tools: fc.array(tool, { maxLength: 3 }),
      tool_choice: fc.oneof(
        fc.constantFrom('auto', 'none', 'required'),
        text,
        fc.record({ type: fc.constant('function'), function: fc.record({ name: text }) }),
      ),
      parallel_tool_calls: fc.boolean(),
      response_format: fc.oneof(
        fc.record({ type: fc.constant('json_object') }),
        fc.record({
          type: fc.constant('json_schema'),
          json_schema: fc.record(
            { name: text, schema: fc.jsonValue({ maxDepth: 2 }), strict: fc.boolean() },
            { requiredKeys: [] },
          ),
        }),
        fc.record({ type: fc.constant('text') }),
      ),
      reasoning_effort: fc.constantFrom('low', 'medium', 'high'),
      prompt_cache_key: text,
      temperature: fc.double({ noNaN: true, noDefaultInfinity: true }),
    },
    { requiredKeys: ['model', 'messages'] },
  );

  it('translates generated chat bodies key for key as the object translation does', () => {
    fc.assert(
      fc.property(body, fc.constantFrom(0, 2), (chat, space) => {
        const raw = Buffer.from(JSON.stringify(chat, null, space || undefined));
        const out = chatToResponsesBytes(raw);
        expect(JSON.parse(out.body.toString('utf8'))).toEqual(JSON.parse(JSON.stringify(reference(chat))));
        expect(out.model).toBe(chat.model);
        expect(out.stream).toBe(chat.stream === true);
        expect(out.includeUsage).toBe((chat.stream_options as Json | null)?.include_usage === true);
        expect(out.promptCacheKey).toBe(chat.prompt_cache_key ?? null);
      }),
      { numRuns: 300 },
    );
  });

  it('reads stream_options and a string tool_choice as a parse would, whatever their form', () => {
    const translated = (members: string) =>
      chatToResponsesBytes(Buffer.from(`{"model":"m","messages":[{"role":"user","content":"hi"}],${members}}`));
    expect(translated('"stream_options":{"include_usage":true}').includeUsage).toBe(true);
    expect(translated('"stream_options":{"include_usage":false}').includeUsage).toBe(false);
    expect(translated('"stream_options": { "include_usage" : true }').includeUsage).toBe(true);
    // JSON.parse keeps the last of repeated members.
    expect(translated('"stream_options":{"include_usage":false,"include_usage":true}').includeUsage).toBe(true);
    expect(translated('"stream_options":{"include_usage":true,"include_usage":false}').includeUsage).toBe(false);
    expect(translated('"stream_options":null').includeUsage).toBe(false);
    const body = JSON.parse(translated('"tool_choice":"\\u0061uto"').body.toString('utf8')) as Json;
    expect(body.tool_choice).toBe('auto');
  });

  it("forwards a number beyond a double's range as the client wrote it", () => {
    const raw = Buffer.from(
      '{"model":"m","messages":[{"role":"user","content":"hi"}],' +
        '"tools":[{"type":"function","function":{"name":"f","parameters":16797703585880562e+308}}]}',
    );
    const text = chatToResponsesBytes(raw).body.toString('utf8');
    expect(text).toContain('"parameters":16797703585880562e+308');
    expect((JSON.parse(text) as { tools: Json[] }).tools[0].parameters).toBe(Infinity);
  });

  it('answers edited bodies with a 400 or with the object translation, never anything else', () => {
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('delete', 'insert', 'truncate'),
      char: fc.constantFrom(...'{}[]",:\\ tfn0-.eu'),
    });
    fc.assert(
      fc.property(body, fc.array(edit, { minLength: 1, maxLength: 2 }), (chat, edits) => {
        let textBody = JSON.stringify(chat);
        for (const e of edits) {
          const at = e.at % (textBody.length + 1);
          if (e.kind === 'delete') textBody = textBody.slice(0, at) + textBody.slice(at + 1);
          else if (e.kind === 'truncate') textBody = textBody.slice(0, at);
          else textBody = textBody.slice(0, at) + e.char + textBody.slice(at);
        }
        const raw = Buffer.from(textBody);
        let parsed: unknown;
        try {
          // The bytes, as the proxy sees them (an edit may have split a surrogate pair).
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          expect400(raw);
          return;
        }
        const error = refusal(raw);
        if (error !== null) {
          expect(error).toBeInstanceOf(ApiError);
          expect((error as ApiError).getStatus()).toBe(400);
          return;
        }
        // The bytes path forwards a number's text as the client wrote it; one beyond a double's
        // range (an edit can make 1.6e+308 into 16e+308) reads as Infinity, which the object
        // translation can only write as null. Both are compared as re-serialized JSON.
        expect(JSON.parse(JSON.stringify(JSON.parse(chatToResponsesBytes(raw).body.toString('utf8'))))).toEqual(
          JSON.parse(JSON.stringify(reference(parsed as Json))),
        );
      }),
      { numRuns: 300 },
    );
  });
});
