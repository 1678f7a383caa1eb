import { execFileSync } from 'node:child_process';
import { heapGrowthFlag, RUNTIME_FLAGS } from './runtime-flags';

describe('the V8 settings the API applies', () => {
  it("are all flags this Node's V8 knows (setFlagsFromString ignores unknown ones silently)", () => {
    const flags = [...RUNTIME_FLAGS, heapGrowthFlag([], '')!];
    // Node refuses an unknown V8 flag on its command line ("bad option"), so this run fails on one.
    const out = execFileSync(process.execPath, [...flags, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(out).toBe('ok');
    expect(() =>
      execFileSync(process.execPath, ['--max-inlined-bytecode-size-typo=1', '-e', '0'], { stdio: 'pipe' }),
    ).toThrow();
  });

  it('lets the old generation grow to 2x its survivors once up, unless the operator set a growth', () => {
    expect(heapGrowthFlag([], '')).toBe('--heap-growing-percent=100');
    expect(heapGrowthFlag(['--max-old-space-size=2048'], '  ')).toBe('--heap-growing-percent=100');
    expect(heapGrowthFlag(['--heap-growing-percent=50'], '')).toBeNull();
    expect(heapGrowthFlag(['--heap_growing_percent=50'], '')).toBeNull();
    expect(heapGrowthFlag(['--enable-source-maps'], '--max-old-space-size=512 --heap-growing-percent=300')).toBeNull();
  });
});
