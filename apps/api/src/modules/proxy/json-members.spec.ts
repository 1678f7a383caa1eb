import { JsonMembers } from './json-members';

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
    for (const bad of ['[1]', '{"a":1', '{"a":1}x', '{"a" 1}', '"str"', '', '{"a":"unterminated}']) {
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
});
