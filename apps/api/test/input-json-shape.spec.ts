// The JSON shape scanner against a plain oracle on the parsed value, on every split of the text
// into chunks, with generated JSON (strings full of quotes, backslashes and brackets included).
import fc from 'fast-check';
import { JsonShapeScanner, jsonShapeProblem } from '../src/common/json-shape';

/** Depth and the scanner's member count (containers plus separators) of a parsed value. */
function oracle(value: unknown): { depth: number; members: number } {
  let depth = 0;
  let members = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, level] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    const children = Array.isArray(current) ? current : Object.values(current);
    depth = Math.max(depth, level);
    members += 1 + Math.max(0, children.length - 1);
    for (const child of children) stack.push([child, level + 1]);
  }
  return { depth, members };
}

function scanInChunks(text: string, cuts: number[], maxDepth: number, maxMembers: number): string | null {
  const bytes = Buffer.from(text);
  const scanner = new JsonShapeScanner({ maxDepth, maxMembers });
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const point of [...points, bytes.length]) {
    const problem = scanner.push(bytes.subarray(from, point));
    if (problem) return problem;
    from = point;
  }
  return null;
}

describe('JSON shape scanner', () => {
  it('agrees with the parsed value on depth and member count, on any chunking', () => {
    fc.assert(
      fc.property(
        fc.json({ depthSize: 'medium' }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 60 }),
        (text, cuts, maxDepth, maxMembers) => {
          const { depth, members } = oracle(JSON.parse(text));
          const problem = scanInChunks(text, cuts, maxDepth, maxMembers);
          const expected = depth > maxDepth || members > maxMembers;
          expect(problem !== null).toBe(expected);
          expect(jsonShapeProblem(text, { maxDepth, maxMembers }) !== null).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('skips brackets, commas and escaped quotes inside strings, across chunk boundaries', () => {
    const text = JSON.stringify({ a: '[[[[,,,,{{{{\\"]]]', b: ['\\', '"', '\\"'] });
    for (let cut = 0; cut <= text.length; cut++) {
      expect(scanInChunks(text, [cut], 2, 5)).toBeNull();
      expect(scanInChunks(text, [cut], 1, 5)).toMatch(/deeper than 1/);
    }
  });

  it('refuses 10,000-deep and 200,000-member texts quickly', () => {
    const started = performance.now();
    expect(jsonShapeProblem('['.repeat(10_000))).toMatch(/deeper than 32/);
    expect(jsonShapeProblem(`[${'0,'.repeat(200_000)}0]`)).toMatch(/more than 10000/);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
