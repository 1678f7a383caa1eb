import { runtimeFlags } from './runtime-flags';

describe('the V8 settings the API applies at start', () => {
  it('lets the old generation grow to 2.5x its survivors, with the inlining budgets', () => {
    expect(runtimeFlags([], '')).toEqual([
      '--no-allocation-site-pretenuring',
      '--heap-growing-percent=150',
      '--max-inlined-bytecode-size=800',
      '--max-inlined-bytecode-size-cumulative=3000',
      '--max-inlined-bytecode-size-absolute=10000',
      '--min-inlining-frequency=0.05',
      '--max-inlined-bytecode-size-small=60',
    ]);
  });

  it("keeps an operator's own heap growth, from the command line or NODE_OPTIONS", () => {
    for (const [execArgv, nodeOptions] of [
      [['--heap-growing-percent=50'], ''],
      [['--enable-source-maps'], '--max-old-space-size=512 --heap-growing-percent=300'],
    ] as const) {
      const flags = runtimeFlags(execArgv, nodeOptions);
      expect(flags.some((flag) => flag.startsWith('--heap-growing-percent'))).toBe(false);
      expect(flags).toContain('--max-inlined-bytecode-size=800');
    }
  });

  it('is not misled by other flags or an empty NODE_OPTIONS', () => {
    expect(runtimeFlags(['--max-old-space-size=2048'], '  ')).toContain('--heap-growing-percent=150');
  });
});
