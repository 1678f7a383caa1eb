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
// The old generation is left to V8's own growth. It was bounded at twice its survivors
// (`--heap-growing-percent=100`) while finished requests were promoted by the thousand; since the
// exchanges in flight are kept in slot lists (common/slot-list.ts) little is promoted, and in full
// bench runs the bound only cost CPU (~7 % more per request) and left no less behind after the
// load (RSS 192-193 MB after the run with it, 152-189 MB without; bench/BASELINE.md). An operator
// can still set a growth on the command line (`node --heap-growing-percent=50 ...`).
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

setFlagsFromString('--no-allocation-site-pretenuring');
setFlagsFromString('--max-inlined-bytecode-size=800');
setFlagsFromString('--max-inlined-bytecode-size-cumulative=3000');
setFlagsFromString('--max-inlined-bytecode-size-absolute=10000');
setFlagsFromString('--min-inlining-frequency=0.05');
setFlagsFromString('--max-inlined-bytecode-size-small=60');
