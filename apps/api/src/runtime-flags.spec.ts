import { heapGrowthFlag, RUNTIME_FLAGS } from './runtime-flags';

describe('the V8 settings the API applies', () => {
  it('raises the inlining budgets from the start', () => {
    expect(RUNTIME_FLAGS).toEqual([
      '--no-allocation-site-pretenuring',
      '--max-inlined-bytecode-size=800',
      '--max-inlined-bytecode-size-cumulative=3000',
      '--max-inlined-bytecode-size-absolute=10000',
      '--min-inlining-frequency=0.05',
      '--max-inlined-bytecode-size-small=60',
    ]);
  });

  it('lets the old generation grow to 2.5x its survivors once up, unless the operator set a growth', () => {
    expect(heapGrowthFlag([], '')).toBe('--heap-growing-percent=150');
    expect(heapGrowthFlag(['--max-old-space-size=2048'], '  ')).toBe('--heap-growing-percent=150');
    expect(heapGrowthFlag(['--heap-growing-percent=50'], '')).toBeNull();
    expect(heapGrowthFlag(['--enable-source-maps'], '--max-old-space-size=512 --heap-growing-percent=300')).toBeNull();
  });
});
