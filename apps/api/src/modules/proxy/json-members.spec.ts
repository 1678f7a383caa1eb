import { findMember, findString, findValue, JsonMembers } from './json-members';

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
});
