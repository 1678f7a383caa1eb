// The API's V8 settings (src/runtime-flags.ts), checked by their effect in child processes: the old
// generation may grow to about twice what survives a full collection, where V8's own choice on a
// machine with a few GB of memory lets it reach ~4.5x (bench/BASELINE.md); a growth given on the
// command line is left alone.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const API = join(__dirname, '..');

function heapGrowth(nodeFlags: string[]): { peakMb: number; aliveMb: number } {
  const out = execFileSync(
    process.execPath,
    [...nodeFlags, '--expose-gc', '-r', join(__dirname, 'support/run-ts.cjs'), 'test/support/heap-growth.ts'],
    { cwd: API, encoding: 'utf8', timeout: 60_000 },
  );
  return JSON.parse(out) as { peakMb: number; aliveMb: number };
}

describe('the API process V8 settings (src/runtime-flags.ts)', () => {
  it('bounds the heap under churn that outlives young collections to under 3x what stays alive', () => {
    const { peakMb, aliveMb } = heapGrowth([]);
    expect(aliveMb).toBeGreaterThan(40);
    expect(peakMb / aliveMb).toBeLessThan(3);
  });

  it("leaves an operator's own --heap-growing-percent in force (300 %: the heap grows past 3x)", () => {
    const { peakMb, aliveMb } = heapGrowth(['--heap-growing-percent=300']);
    expect(peakMb / aliveMb).toBeGreaterThan(3);
  });
});
