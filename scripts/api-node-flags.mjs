// Node flags the launchers (npm start, the bench) start the API with; the Dockerfile's CMD and the
// compose file's `command` give the same ones. Flags that size the heap are read when V8 creates
// it, so the API cannot set them itself (apps/api/src/runtime-flags.ts sets the others).
//
// --max-semi-space-size=8: a young generation of 2 x 8 MB instead of V8's 2 x 16 MB. Under load
// V8 grows it to its maximum and keeps it committed: 16 MB less RSS, at the same CPU per request
// (interleaved slices against the default, bench/BASELINE.md). An operator's own choice, on the
// command line or in NODE_OPTIONS, is kept.
export const API_NODE_FLAGS = ['--max-semi-space-size=8'];

/** The flags to start the API with, leaving out any that `nodeOptions` (NODE_OPTIONS) sets itself. */
export function apiNodeFlags(nodeOptions = process.env.NODE_OPTIONS ?? '') {
  const own = nodeOptions
    .split(/\s+/)
    .filter(Boolean)
    .map((arg) => arg.replace(/_/g, '-').split('=')[0]);
  return API_NODE_FLAGS.filter((flag) => !own.includes(flag.split('=')[0]));
}
