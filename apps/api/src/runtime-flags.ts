// V8 settings for the server process, applied before anything else is loaded (main.ts imports this
// first).
//
// No allocation-site pretenuring. Under high concurrency a request's objects live long enough to
// survive a scavenge, and V8 then starts allocating everything made at those sites directly in the
// old generation. When the load drops, those objects are short-lived garbage there, and only a full
// mark-compact frees them: measured at one connection after a 50-connection burst, a mark-compact
// every ~200 ms and twice the CPU per request (0.58 against 0.35 ms), with no change at 50
// connections (bench/BASELINE.md).
//
// Once the API is listening, the old generation may grow to 2x what survived the last full
// collection (`--heap-growing-percent=100`; applyHeapGrowth, called by main.ts), unless the
// command line or NODE_OPTIONS sets a growth of its own. V8's own choice depends on how fast its
// collections are against the program's allocation: after the collections of start-up it leaves
// room for ~3.4x (~110 MB), but once the heap has been collected under load (or by V8's memory
// reducer in a pause between bursts) it settled at ~1.2x, 44 MB live and the next collection due
// at ~53 MB, and from then on the API ran a full collection every 0.3-0.5 s under load for the
// rest of its life: 69 of them in one bench run, a slice at 2.5x its usual CPU per request. With
// 2.5x: 5-7 in the same run, none under load until the memory reducer's, and 137-180 MB of RSS
// after it against 148-165 MB (bench/BASELINE.md).
// Set at start instead, 2.5x of start-up's 32 MB put a collection early in the first load; 2x
// cost ~7 % CPU when it was measured, for the same reason.
// 2x rather than 2.5x: in steady state (minutes of load) a full collection comes about every
// 50 s instead of every 80-100 s, each a few ms of pause, at the same CPU per request in
// interleaved slices, and ~20 MB less of the heap stays committed. With 2.5x the RSS right after a
// burst was 129-204 MB, by where that cycle stood; with 2x and the launchers' smaller young
// generation (scripts/api-node-flags.mjs), 165-172 MB in six runs (bench/BASELINE.md).
//
// More inlining in optimized code. A proxied request runs through some hundred small functions of
// Node's HTTP server and streams, undici and the proxy, none above ~1.5 % of the time, and V8's
// default budgets (460 bytes of bytecode per inlined function, 920 in all per optimized function)
// leave most of those calls as calls. With 800 / 3,000 / 10,000 the proxy's CPU per request fell
// and its req/s rose by 2-8 % by scenario, in interleaved pairs of bench runs (bench/BASELINE.md),
// with no change in memory after the run. Call sites taken on at least 5 % of a function's calls
// are inlined too (V8: 15 %): the chat answer collected for a non-stream client took 7-14 % less
// CPU per request in three pairs, the other scenarios within their noise.
// And a function of up to 60 bytes of bytecode is inlined whatever the budget left (V8: 27):
// codex-stream took 5-13 % less CPU per request in three pairs.
import { setFlagsFromString } from 'node:v8';

/**
 * The V8 settings above that apply from the start, in the order they are applied.
 */
export const RUNTIME_FLAGS: readonly string[] = [
  '--no-allocation-site-pretenuring',
  '--max-inlined-bytecode-size=800',
  '--max-inlined-bytecode-size-cumulative=3000',
  '--max-inlined-bytecode-size-absolute=10000',
  '--min-inlining-frequency=0.05',
  '--max-inlined-bytecode-size-small=60',
];

for (const flag of RUNTIME_FLAGS) setFlagsFromString(flag);

/**
 * The heap growth for a process started with `execArgv` and `nodeOptions`: null when they set one
 * (an operator's choice is kept).
 */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string): string | null {
  // V8 takes a flag's words joined by - or _ alike.
  const own = [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) =>
    arg.replace(/_/g, '-').startsWith('--heap-growing-percent'),
  );
  return own ? null : '--heap-growing-percent=100';
}

/** Sets the heap growth above (once the API is up: see the comment at the top). */
export function applyHeapGrowth(): void {
  const flag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS ?? '');
  if (flag !== null) setFlagsFromString(flag);
}
