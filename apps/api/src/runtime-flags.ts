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
// The old generation grows to at most twice what survived the last full collection. V8's own
// choice on a machine with a few GB of memory lets it grow to about 4.5x, and under load most of
// what a busy gateway promotes is garbage waiting for that limit (request-log entries waiting for
// their batch, answers' headers): RSS after a bench run read 234-266 MB with V8's choice against
// 180-188 MB with this, in pairs of runs, for ~4 % more CPU per request at full load: more full
// collections (bench/BASELINE.md). A growth given on the command line wins.
import { setFlagsFromString } from 'node:v8';

const HEAP_GROWING_PERCENT = 100;

setFlagsFromString('--no-allocation-site-pretenuring');
if (!process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
