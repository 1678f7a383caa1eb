import {
  BadJsonError,
  BODY_LIMITS,
  findMember,
  findMemberStarts,
  findString,
  findValue,
  JsonLimitError,
  JsonMembers,
  stringValueAt,
  valueAt,
} from './json-members';

describe('JsonMembers', () => {
  const body = Buffer.from(
    ' {"model":"gpt-5.1-codex","input":[{"type":"message","content":[{"text":"a \\"quoted\\" } ] brace"}]}],' +
      '"stream":true, "store" : false,"temperature":0.2,"tools":[],"nested":{"a":{"b":[1,2,{"c":null}]}},"prompt_cache_key":"k\\\\"}\n',
  );

  it('finds every top-level member and parses only what is asked', () => {
    const json = JsonMembers.scan(body);
    expect([...json.members.keys()]).toEqual([
      'model',
      'input',
      'stream',
      'store',
      'temperature',
      'tools',
      'nested',
      'prompt_cache_key',
    ]);
    expect(json.string('model')).toBe('gpt-5.1-codex');
    expect(json.raw('stream')).toBe('true');
    expect(json.raw('store')).toBe('false');
    expect(json.value('nested')).toEqual({ a: { b: [1, 2, { c: null }] } });
    expect(json.string('prompt_cache_key')).toBe('k\\');
    expect(json.string('temperature')).toBeNull();
    expect(json.value('missing')).toBeUndefined();
  });

  it('rewrites by splicing bytes, keeping untouched members exactly', () => {
    const json = JsonMembers.scan(body);
    const out = json.rewrite(['temperature'], { stream: 'true', store: 'false' });
    const parsed = JSON.parse(out.toString());
    const original = JSON.parse(body.toString());
    delete original.temperature;
    expect(parsed).toEqual(original);
    expect(out.toString()).toContain(
      body.subarray(json.members.get('input')!.start, json.members.get('input')!.end).toString(),
    );
  });

  it('refuses what is not one JSON object', () => {
    for (const bad of ['[1]', '{"a":1', '{"a":1}x', '{"a" 1}', '"str"', '', '{"a":"unterminated}', '{"a":}']) {
      expect(() => JsonMembers.scan(Buffer.from(bad))).toThrow(SyntaxError);
    }
    expect([...JsonMembers.scan(Buffer.from(' { } ')).members.keys()]).toEqual([]);
  });

  it('agrees with JSON.parse on a large Codex-shaped body', () => {
    const big = {
      model: 'gpt-5.1-codex',
      instructions: 'x'.repeat(20_000),
      input: Array.from({ length: 50 }, (_, i) => ({
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: `m${i} \u00e9 "q" \\ {}` }],
      })),
      tools: Array.from({ length: 9 }, (_, i) => ({
        type: 'function',
        name: `t${i}`,
        parameters: { type: 'object', properties: { a: { type: 'string' } } },
      })),
      stream: true,
      store: false,
    };
    const json = JsonMembers.scan(Buffer.from(JSON.stringify(big)));
    for (const key of Object.keys(big)) expect(json.value(key)).toEqual((big as Record<string, unknown>)[key]);
  });

  it('finds string ends on either side of the short-string walk, escapes included', () => {
    // Strings of every length around the switch from the byte walk to indexOf, with escaped
    // quotes and backslashes placed at and around the switch point, as values and as keys.
    for (let length = 40; length <= 56; length++) {
      for (let at = 0; at < length; at += 3) {
        const text = 'a'.repeat(at) + '\\"' + '\\' + 'b'.repeat(length - at) + '\u00e9';
        const object = { [`k${text}`]: text, after: `v${length}`, model: 'm' };
        const json = JsonMembers.scan(Buffer.from(JSON.stringify(object)));
        expect([...json.members.keys()]).toEqual(Object.keys(object));
        expect(json.string(`k${text}`)).toBe(text);
        expect(json.string('after')).toBe(`v${length}`);
      }
    }
  });

  it('decodes repeated member names from its table, and names that merely hash alike by their bytes', () => {
    // "Aa" and "BB" have the same 31-based hash: the second must not be read as the first.
    for (let round = 0; round < 3; round++) {
      const json = JsonMembers.scan(Buffer.from('{"Aa":1,"BB":2,"model":"m","d\\u00e9":3,"\\u0041a":4}'));
      expect([...json.members.keys()]).toEqual(['Aa', 'BB', 'model', 'd\u00e9']);
      expect(json.raw('Aa')).toBe('4');
      expect(json.raw('BB')).toBe('2');
    }
  });

  it('skips a repeated tool list by comparison, and walks one that differs', () => {
    const tools = (description: string) =>
      Array.from({ length: 12 }, (_, i) => ({
        type: 'function',
        name: `tool_${i}`,
        description,
        parameters: { type: 'object', properties: { a: { type: 'string', description: '[{' } } },
      }));
    const body = (list: unknown, extra: string) =>
      Buffer.from(JSON.stringify({ model: 'm', tools: list, input: [{ role: 'user', content: extra }], stream: true }));
    const same = tools('same description');
    for (let round = 0; round < 4; round++) {
      const json = JsonMembers.scan(body(same, `turn ${round}`));
      expect(json.value('tools')).toEqual(same);
      expect(json.value('input')).toEqual([{ role: 'user', content: `turn ${round}` }]);
      expect(json.raw('stream')).toBe('true');
    }
    // Same length and same last bytes as the kept list, different inside: still read correctly.
    const other = tools('SAME description');
    const json = JsonMembers.scan(body(other, 'x'));
    expect(json.value('tools')).toEqual(other);
    // A body that starts like the kept list but holds more (a longer list) is walked too.
    const longer = [...same, ...same.slice(0, 1)];
    expect(JsonMembers.scan(body(longer, 'y')).value('tools')).toEqual(longer);
    // And a truncated one is still refused.
    const whole = body(same, 'z').toString();
    expect(() => JsonMembers.scan(Buffer.from(whole.slice(0, whole.indexOf('"input"') - 3)))).toThrow(SyntaxError);
  });

  it('skips repeated input items by comparison (Codex resends them every turn), and walks those that differ', () => {
    const message = (role: string, text: string) => ({
      type: 'message',
      role,
      content: [{ type: 'input_text', text: `${text}\n${'Keep "changes" small.\n'.repeat(80)}` }],
    });
    const permissions = message('developer', '<permissions instructions>');
    const agents = message('user', '# AGENTS.md');
    const body = (input: unknown[]) => Buffer.from(JSON.stringify({ model: 'm', input, stream: true }));
    for (let turn = 0; turn < 4; turn++) {
      const input = [permissions, agents, message('user', `turn ${turn}`), { type: 'message', role: 'user' }, 7];
      const json = JsonMembers.scan(body(input));
      expect(json.value('input')).toEqual(input);
      expect(json.raw('stream')).toBe('true');
    }
    // The same length and last bytes as a kept item, different inside: read as it is.
    const altered = message('developer', '<PERMISSIONS INSTRUCTIONS>');
    expect(JsonMembers.scan(body([altered, agents])).value('input')).toEqual([altered, agents]);
    // A kept item followed by a bad byte, or cut short, is still refused.
    const text = body([permissions, agents]).toString();
    expect(() => JsonMembers.scan(Buffer.from(text.replace('},{', '} x,{')))).toThrow(BadJsonError);
    expect(() => JsonMembers.scan(Buffer.from(text.slice(0, text.indexOf('},{') + 1)))).toThrow(BadJsonError);
    // Each kept item still counts as a value against the body's bound (the body, model, input, its four items and stream: 8 > 7).
    const few = { ...BODY_LIMITS, values: 7 };
    expect(() => JsonMembers.scan(body([permissions, agents, permissions, agents]), null, few)).toThrow(JsonLimitError);
    // A deep item kept under a generous bound is walked, and refused, under the body's.
    const deep = { type: 'message', nested: JSON.parse(`${'['.repeat(70)}${'"x",'.repeat(300)}1${']'.repeat(70)}`) };
    const generous = { ...BODY_LIMITS, depth: 200 };
    for (let i = 0; i < 3; i++) expect(JsonMembers.scan(body([deep]), null, generous).has('input')).toBe(true);
    expect(() => JsonMembers.scan(body([deep]))).toThrow(JsonLimitError);
  });

  it('skips the tools and instructions an upstream event repeats by comparison, and never vouches for a body with them', () => {
    const names = ['usage', 'id'].map((name) => Buffer.from(name));
    const starts = new Int32Array(names.length);
    const tools = Array.from({ length: 12 }, (_, i) => ({
      type: 'function',
      name: `tool_${i}`,
      description: 'Runs "it" [{ fast }]',
      parameters: { type: 'object', properties: { a: { type: 'string' } } },
    }));
    const instructions = `You are Codex.\n${'Use "rg" to search.\n'.repeat(80)}`;
    const event = (toolList: unknown, tokens: number, id: string) =>
      Buffer.from(
        JSON.stringify({
          instructions,
          id: 'x',
          tools: toolList,
          output: [{ text: '}' }],
          usage: { input_tokens: tokens },
          id2: id,
        }).replace('"id2"', '"id"'),
      );
    for (let round = 0; round < 4; round++) {
      const buf = event(tools, 100 + round, `resp_${round}`);
      findMemberStarts(buf, 0, names, starts);
      expect(valueAt(buf, starts[0])).toEqual({ input_tokens: 100 + round });
      expect(stringValueAt(buf, starts[1])).toBe('x');
    }
    // The same length and last bytes as the kept list, different inside: still read where it ends.
    const other = tools.map((tool) => ({ ...tool, description: tool.description.toUpperCase() }));
    const buf = event(other, 7, 'resp_other');
    findMemberStarts(buf, 0, names, starts);
    expect(valueAt(buf, starts[0])).toEqual({ input_tokens: 7 });
    // Tools with a raw control character (JSON.parse refuses them), seen in trust twice, are kept
    // for the upstream's events only: a client body with the same bytes is still refused.
    const badTools = Buffer.from(
      JSON.stringify(
        tools.map((tool) => ({ ...tool, description: `${tool.description}${' '.repeat(60)}END` })),
      ).replace(/END/g, '\u0001'),
    );
    expect(badTools.includes(0x01)).toBe(true);
    for (let round = 0; round < 3; round++) {
      const upstream = Buffer.concat([Buffer.from('{"tools":'), badTools, Buffer.from(',"usage":{"input_tokens":1}}')]);
      findMemberStarts(upstream, 0, names, starts);
      expect(valueAt(upstream, starts[0])).toEqual({ input_tokens: 1 });
    }
    const body = Buffer.concat([Buffer.from('{"model":"m","tools":'), badTools, Buffer.from('}')]);
    for (let round = 0; round < 3; round++) expect(() => JsonMembers.scan(body)).toThrow(BadJsonError);
  });

  it('recognises a kept value only for the owner who sent it', () => {
    const tools = Array.from({ length: 40 }, (_, i) => ({
      type: 'function',
      name: `scoped_${i}`,
      description: 'd'.repeat(30),
    }));
    const body = Buffer.from(JSON.stringify({ model: 'm', tools }));
    // Walked twice for one owner: kept for that owner.
    for (let i = 0; i < 2; i++) JsonMembers.scan(body, null, BODY_LIMITS, 'owner-a');
    // Which path ran shows in the values bound: a kept list counts as one value, a walked one as
    // all of its ~160.
    const tight = { ...BODY_LIMITS, values: 10 };
    expect(JsonMembers.scan(body, null, tight, 'owner-a').has('tools')).toBe(true);
    expect(() => JsonMembers.scan(body, null, tight, 'owner-b')).toThrow(JsonLimitError);
    expect(() => JsonMembers.scan(body, null, tight)).toThrow(JsonLimitError);
  });

  it("skips the part of a conversation's input the owner sent last turn, and walks what was added", () => {
    const item = (i: number) => ({
      type: 'message',
      role: i % 2 ? 'user' : 'assistant',
      content: [{ type: 'input_text', text: `turn ${i}: ${'read the file, "quote" it.\n'.repeat(10)}` }],
    });
    const input = (n: number) => Array.from({ length: n }, (_, i) => item(i));
    const body = (list: unknown[], tail = '') =>
      Buffer.from(JSON.stringify({ model: 'm', input: list, stream: true }).replace(/}$/, `${tail}}`));
    for (let n = 60; n < 64; n++) {
      const json = JsonMembers.scan(body(input(n)), null, BODY_LIMITS, 'conversation-owner');
      expect(json.value('input')).toEqual(input(n));
    }
    // Which path ran shows in the values bound: a kept prefix counts one value per item, a walk
    // all of each item's members (about ten each).
    const tight = { ...BODY_LIMITS, values: 200 };
    const next = body(input(65));
    expect(JsonMembers.scan(next, null, tight, 'conversation-owner').value('input')).toEqual(input(65));
    expect(() => JsonMembers.scan(next, null, tight, 'another-owner')).toThrow(JsonLimitError);
    // A bad byte, or the end of the body, right after the kept prefix: still refused.
    const kept = body(input(66)).toString();
    const after =
      kept.indexOf('turn 65') - '{"type":"message","role":"user","content":[{"type":"input_text","text":"'.length - 1;
    expect(kept[after]).toBe(',');
    expect(() =>
      JsonMembers.scan(
        Buffer.from(`${kept.slice(0, after)} x${kept.slice(after)}`),
        null,
        BODY_LIMITS,
        'conversation-owner',
      ),
    ).toThrow(BadJsonError);
    expect(() => JsonMembers.scan(Buffer.from(kept.slice(0, after)), null, BODY_LIMITS, 'conversation-owner')).toThrow(
      BadJsonError,
    );
    // The same length as the kept prefix but different inside: read as it is, or refused when the
    // difference is a byte JSON.parse refuses (a raw control character in item 3's text).
    const altered = input(67);
    altered[3] = { ...item(3), role: 'USER' };
    expect(JsonMembers.scan(body(altered), null, BODY_LIMITS, 'conversation-owner').value('input')).toEqual(altered);
    const plain = body(input(67)).toString();
    const inItem3 = plain.indexOf('turn 3: read') + 'turn 3: '.length;
    const broken = `${plain.slice(0, inItem3)}\u0001${plain.slice(inItem3 + 1)}`;
    expect(broken.length).toBe(plain.length);
    expect(() => JsonMembers.scan(Buffer.from(broken), null, BODY_LIMITS, 'conversation-owner')).toThrow(BadJsonError);
  });

  it('finds one member without scanning the rest, nested objects included', () => {
    const data = Buffer.from(
      '{"type":"response.completed","sequence_number":12,"response":{"id":"resp_1","output":[{"content":[{"text":"a \\"usage\\": {} ]"}]}],"usage":{"input_tokens":5}}}',
    );
    const response = findMember(data, 0, Buffer.from('response'))!;
    expect(data[response[0]]).toBe(0x7b);
    const usage = findMember(data, response[0], Buffer.from('usage'))!;
    expect(JSON.parse(data.toString('utf8', usage[0], usage[1]))).toEqual({ input_tokens: 5 });
    expect(findString(data, response[0], Buffer.from('id'))).toBe('resp_1');
    expect(findValue(data, response[0], Buffer.from('usage'))).toEqual({ input_tokens: 5 });
    expect(findString(data, response[0], Buffer.from('usage'))).toBeNull();
    expect(findValue(data, response[0], Buffer.from('absent'))).toBeUndefined();
    expect(findMember(data, 0, Buffer.from('usage'))).toBeNull();
    expect(findMember(Buffer.from('{"\\u0064elta":"x"}'), 0, Buffer.from('delta'))).toEqual([14, 17]);
    // Escaped names whose first byte is the name's own, or an escape further in: still found.
    expect(findMember(Buffer.from('{"dx":1,"d\\u0065lta":"x"}'), 0, Buffer.from('delta'))).toEqual([21, 24]);
    expect(findMember(Buffer.from('{"delt\\u0061":"x"}'), 0, Buffer.from('delta'))).toEqual([14, 17]);
    // A longer name that is not the name, starting with another byte: not taken for it.
    expect(findMember(Buffer.from('{"xdelta":1}'), 0, Buffer.from('delta'))).toBeNull();
    expect(() => findMember(Buffer.from('{"a":1 "b":2}'), 0, Buffer.from('b'))).toThrow(SyntaxError);
    expect(() => findMember(Buffer.from('[1]'), 0, Buffer.from('b'))).toThrow(SyntaxError);
  });

  it("scans an array member's objects in the same pass when asked to", () => {
    const body = {
      model: 'm',
      messages: [{ role: 'system', content: 'a "b" [c]' }, 'not an object', { role: 'user', content: [{ text: 'x' }] }],
      tools: [{ type: 'function' }],
    };
    const json = JsonMembers.scan(Buffer.from(JSON.stringify(body)), 'messages');
    expect(json.items).toHaveLength(3);
    expect(json.items![0]!.string('role')).toBe('system');
    expect(json.items![0]!.string('content')).toBe('a "b" [c]');
    expect(json.items![1]).toBeNull();
    expect(json.items![2]!.value('content')).toEqual([{ text: 'x' }]);
    expect(json.value('messages')).toEqual(body.messages);
    expect(json.value('tools')).toEqual(body.tools);
    expect(JsonMembers.scan(Buffer.from('{"messages":"no"}'), 'messages').items).toBeNull();
    expect(JsonMembers.scan(Buffer.from('{"messages":[]}'), 'messages').items).toEqual([]);
    expect(JsonMembers.scan(Buffer.from('{"messages":[{"a":1}],"messages":3}'), 'messages').items).toBeNull();
    for (const bad of [
      '{"messages":[{"a":1}',
      '{"messages":[{"a":1},]}',
      '{"messages":[{"a" 1}]}',
      '{"messages":[1 2]}',
    ]) {
      expect(() => JsonMembers.scan(Buffer.from(bad), 'messages')).toThrow(SyntaxError);
    }
  });

  it('refuses scalars and separators JSON.parse refuses, with a BadJsonError that answers 400', () => {
    for (const bad of [
      '{"a":tru}',
      '{"a":[1 2]}',
      '{"a":nul}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":1e}',
      '{"a":-}',
      '{"a":+1}',
      '{"a":"\\x"}',
      '{"a":"\\u12"}',
      '{"a":"\\u12"}',
      '{"a":"tab\there"}',
      '{"a":[1,]}',
      '{"a":{"b":1,}}',
      '{"a":[}',
      '{"a":{"b" 1}}',
      '{"a":{"b":1]}',
      '{"a":truefalse}',
    ]) {
      expect(() => JSON.parse(bad)).toThrow();
      let thrown: unknown;
      try {
        JsonMembers.scan(Buffer.from(bad));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(BadJsonError);
      expect(thrown).toBeInstanceOf(SyntaxError);
      expect((thrown as BadJsonError).statusCode).toBe(400);
    }
    const ok = '{"a":[true,false,null,-0,0.5,1E+2,1e-2,"\\u00e9\\/\\b\\f\\n\\r\\t"],"b":{}}';
    expect(JsonMembers.scan(Buffer.from(ok)).value('a')).toEqual(JSON.parse(ok).a);
  });

  it('answers a bad escape in a member read later with a BadJsonError, never a plain error', () => {
    // Bytes a scan never checked (a JsonMembers built by hand) still fail as bad JSON.
    const buf = Buffer.from('{"model":"\\x","prompt_cache_key":"\\u12"}');
    const members = new Map([
      ['model', { start: 1, valueStart: 9, end: 13 }],
      ['prompt_cache_key', { start: 14, valueStart: 33, end: 39 }],
    ]);
    const json = new JsonMembers(buf, members);
    expect(() => json.string('model')).toThrow(BadJsonError);
    expect(() => json.string('prompt_cache_key')).toThrow(BadJsonError);
    expect(() => json.value('model')).toThrow(BadJsonError);
    // And a scan refuses both up front.
    expect(() => JsonMembers.scan(buf)).toThrow(BadJsonError);
  });

  it('refuses duplicate model, stream and store members, and keeps the last of others', () => {
    for (const name of ['model', 'stream', 'store']) {
      expect(() => JsonMembers.scan(Buffer.from(`{"${name}":"a","x":1,"${name}":"b"}`))).toThrow(/Duplicate member/);
    }
    expect(JsonMembers.scan(Buffer.from('{"x":1,"x":2}')).raw('x')).toBe('2');
    // Inside a nested object the names are ordinary.
    expect(JsonMembers.scan(Buffer.from('{"a":{"model":1,"model":2}}')).value('a')).toEqual({ model: 2 });
  });

  it('bounds nesting without recursion', () => {
    const nested = (levels: number) => `{"a":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    expect(JsonMembers.scan(Buffer.from(nested(64))).value('a')).toBeDefined();
    expect(() => JsonMembers.scan(Buffer.from(nested(65)))).toThrow(JsonLimitError);
    // A million levels: refused at the bound, no stack overflow.
    expect(() => JsonMembers.scan(Buffer.from(nested(1_000_000)))).toThrow(/Nested deeper than 64/);
    expect(() => JsonMembers.scan(Buffer.from(`{"a":${'{"b":'.repeat(100)}1${'}'.repeat(100)}}`))).toThrow(
      JsonLimitError,
    );
    expect(() =>
      JsonMembers.scan(Buffer.from(`{"messages":[${'['.repeat(70)}${']'.repeat(70)}]}`), 'messages'),
    ).toThrow(JsonLimitError);
  });

  it('bounds members per object, values and map entries per body, and expanded elements', () => {
    const members = (n: number) => `{${Array.from({ length: n }, (_, i) => `"m${i}":0`).join(',')}}`;
    expect(JsonMembers.scan(Buffer.from(members(BODY_LIMITS.members))).members.size).toBe(1000);
    expect(() => JsonMembers.scan(Buffer.from(members(BODY_LIMITS.members + 1)))).toThrow(/More than 1000 members/);
    // Duplicates count: a million repeats of one name are refused too.
    expect(() => JsonMembers.scan(Buffer.from(`{${'"a":0,'.repeat(1_000_000)}"a":0}`))).toThrow(JsonLimitError);
    // A message object with too many members.
    expect(() =>
      JsonMembers.scan(Buffer.from(`{"messages":[${members(BODY_LIMITS.members + 1)}]}`), 'messages'),
    ).toThrow(JsonLimitError);
    // Values anywhere in the body.
    expect(() => JsonMembers.scan(Buffer.from(`{"input":[${'0,'.repeat(BODY_LIMITS.values)}0]}`))).toThrow(
      /More than 1000000 values/,
    );
    expect(() =>
      JsonMembers.scan(Buffer.from(`{"messages":[${'{},'.repeat(BODY_LIMITS.items)}{}]}`), 'messages'),
    ).toThrow(/More than 10000 elements/);
    // Entries: many objects each within the per-object bound.
    const wide = `{"messages":[${Array.from({ length: 120 }, () => members(900)).join(',')}]}`;
    expect(() => JsonMembers.scan(Buffer.from(wide), 'messages')).toThrow(/More than 100000 members in the body/);
    expect(() => JsonMembers.items(Buffer.from(`[${'{},'.repeat(20)}{}]`), { ...BODY_LIMITS, items: 20 })).toThrow(
      JsonLimitError,
    );
  });

  it('refuses 10 M empty messages (29 MB) early, at the element bound, without walking the rest', () => {
    const body = Buffer.from(`{"model":"m","messages":[${'{},'.repeat(10_000_000)}{}]}`);
    expect(body.length).toBeGreaterThan(29_000_000);
    let thrown: unknown;
    try {
      JsonMembers.scan(body, 'messages');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(JsonLimitError);
    // It stopped within the first 10,001 elements: about 30 KB into 29 MB.
    expect((thrown as JsonLimitError).offset).toBeLessThan(40_000);
  });

  it('skips repeated instructions by comparison, and never past a lower depth bound than they were checked under', () => {
    const instructions = `You are Codex.\n${'Use "rg" to search.\n'.repeat(100)}`;
    const body = (input: string) => Buffer.from(JSON.stringify({ model: 'm', instructions, input, stream: true }));
    for (let round = 0; round < 3; round++) {
      const json = JsonMembers.scan(body(`turn ${round}`));
      expect(json.string('instructions')).toBe(instructions);
      expect(json.string('input')).toBe(`turn ${round}`);
    }
    // Same instructions but a bad byte right after them: still refused.
    const bad = body('x').toString().replace('"input"', '"input" x');
    expect(() => JsonMembers.scan(Buffer.from(bad))).toThrow(BadJsonError);
    // A deep tool list seen twice under a generous bound is kept, yet walked (and refused) under the body's.
    const deep = `[${'['.repeat(80)}${'"p",'.repeat(300)}1${']'.repeat(80)}]`;
    const deepBody = Buffer.from(`{"model":"m","tools":${deep}}`);
    const generous = { ...BODY_LIMITS, depth: 200 };
    for (let i = 0; i < 3; i++) expect(JsonMembers.scan(deepBody, null, generous).has('tools')).toBe(true);
    expect(() => JsonMembers.scan(deepBody)).toThrow(JsonLimitError);
  });

  it('finds several members in one walk: the first of each, -1 when absent, and refuses what is not an object', () => {
    const names = ['usage', 'id', 'model', 'status', 'missing'].map((name) => Buffer.from(name));
    const starts = new Int32Array(names.length);
    const event = Buffer.from(
      ' {"id":"resp_1","output":[{"text":"a \\"quoted\\" {x}"}],"model":"gpt-5","usage":{"input_tokens":3},"id":"resp_2"}',
    );
    findMemberStarts(event, 0, names, starts);
    expect(valueAt(event, starts[0])).toEqual({ input_tokens: 3 });
    expect(stringValueAt(event, starts[1])).toBe('resp_1');
    expect(stringValueAt(event, starts[2])).toBe('gpt-5');
    expect(starts[3]).toBe(-1);
    expect(starts[4]).toBe(-1);
    expect(valueAt(event, starts[3])).toBeUndefined();
    expect(stringValueAt(event, starts[0])).toBeNull();
    // The same answers as one walk per member.
    expect(findValue(event, 0, names[0])).toEqual(valueAt(event, starts[0]));
    expect(findString(event, 0, names[1])).toBe(stringValueAt(event, starts[1]));
    // It stops once all are found: what follows the last one is never read.
    const early = Buffer.from('{"usage":1,"id":"a","model":"m","status":"s","missing":null,"rest":');
    findMemberStarts(early, 0, names, starts);
    expect(Array.from(starts).every((start) => start > 0)).toBe(true);
    expect(() => findMemberStarts(Buffer.from('["usage"]'), 0, names, starts)).toThrow(BadJsonError);
    expect(() => findMemberStarts(Buffer.from('{"id" "x"}'), 0, names, starts)).toThrow(BadJsonError);
    findMemberStarts(Buffer.from('{}'), 0, names, starts);
    expect(Array.from(starts)).toEqual([-1, -1, -1, -1, -1]);
  });

  it("skips a chat message's repeated long content by comparison, and walks (and refuses) one changed by a byte", () => {
    const system = `You are a helpful agent.\n${'Read "the file" first; then \\edit\\ it.\n'.repeat(80)}`;
    const body = (user: string) =>
      Buffer.from(
        JSON.stringify({
          model: 'm',
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: user },
          ],
        }),
      );
    for (let round = 0; round < 3; round++) {
      const json = JsonMembers.scan(body(`question ${round}`), 'messages');
      expect(json.items![0]!.string('content')).toBe(system);
      expect(json.items![1]!.string('content')).toBe(`question ${round}`);
    }
    // The same length and ends as the kept content, a raw control byte inside: refused.
    const text = body('q').toString();
    const at = text.indexOf('first;');
    const raw = Buffer.from(text);
    raw[Buffer.byteLength(text.slice(0, at)) + 'first'.length] = 0x01;
    expect(() => JsonMembers.scan(raw, 'messages')).toThrow(BadJsonError);
    // And an unterminated copy of it is refused too.
    expect(() => JsonMembers.scan(Buffer.from(text.slice(0, text.indexOf('"role":"user"'))), 'messages')).toThrow(
      BadJsonError,
    );
  });

  it("finds members past long strings of the upstream's events, escaped quotes and backslash runs included", () => {
    const names = ['usage', 'id'].map((name) => Buffer.from(name));
    const starts = new Int32Array(names.length);
    for (const tail of ['', '\\', '\\\\', '\\"', '\\\\\\"x']) {
      const long = `${'instructions with "quotes" and \\ backslashes, '.repeat(40)}${tail}`;
      const event = Buffer.from(JSON.stringify({ instructions: long, id: 'resp_9', usage: { input_tokens: 7 } }));
      findMemberStarts(event, 0, names, starts);
      expect(valueAt(event, starts[0])).toEqual({ input_tokens: 7 });
      expect(stringValueAt(event, starts[1])).toBe('resp_9');
      expect(findString(event, 0, Buffer.from('instructions'))).toBe(long);
    }
    expect(() => findMember(Buffer.from(`{"a":"${'x'.repeat(100)}`), 0, Buffer.from('b'))).toThrow(BadJsonError);
  });
});
