import fc from 'fast-check';
import { storableJsonReplacer, storableText, storableTextOrNull } from './storable-text';

const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

describe('storableText', () => {
  it('returns clean text within the bound as it is (the same string)', () => {
    const text = 'gpt-5.1-codex';
    expect(storableText(text, 128)).toBe(text);
    expect(storableText('mañana 😀', 128)).toBe('mañana 😀');
  });

  it('drops NUL, replaces lone surrogates, and cuts without splitting a pair', () => {
    expect(storableText('a\u0000b\u0000', 10)).toBe('ab');
    expect(storableText('\ud800', 10)).toBe('\ufffd');
    expect(storableText('x\udc00y', 10)).toBe('x\ufffdy');
    expect(storableText('ab😀', 3)).toBe('ab');
    expect(storableText('abc', 2)).toBe('ab');
    expect(storableTextOrNull('\u0000', 10)).toBeNull();
    expect(storableTextOrNull(42, 10)).toBeNull();
  });

  it('always gives text Postgres stores: no NUL, well-formed, within the bound (generated)', () => {
    const codeUnits = fc.array(
      fc.oneof(fc.constantFrom(0, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0x41), fc.integer({ min: 0, max: 0xffff })),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(codeUnits, fc.integer({ min: 1, max: 30 }), (units, max) => {
        const input = String.fromCharCode(...units);
        const out = storableText(input, max);
        expect(out.includes('\u0000')).toBe(false);
        expect(wellFormed(out)).toBe(true);
        expect(out.length).toBeLessThanOrEqual(max);
        // Nothing but NUL is removed from clean input within the bound.
        if (wellFormed(input) && input.length <= max) expect(out).toBe(input.replaceAll('\u0000', ''));
      }),
      { numRuns: 2000 },
    );
  });

  it('makes JSON that jsonb takes: no \\u0000 escape and no lone surrogate escape', () => {
    const json = JSON.stringify({ model: 'a\u0000\ud800', nested: ['\udfff'] }, storableJsonReplacer);
    expect(json).not.toMatch(/\\u0000|\\ud[89a-f]/i);
    expect(JSON.parse(json)).toEqual({ model: 'a\ufffd\ufffd', nested: ['\ufffd'] });
  });
});
