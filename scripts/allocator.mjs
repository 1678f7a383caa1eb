// The C allocator the API process runs with. Node's own (glibc's malloc) keeps the memory of
// freed socket read buffers and compiler zones in fragmented arenas: after a burst of load the
// API held ~30-45 MB of malloc heap for ~10-17 MB of live buffers, and never gave it back.
// jemalloc returns unused pages to the system within a second (dirty_decay_ms below), so where
// Debian's libjemalloc2 (or another distribution's) is installed, the launchers preload it.
// CODEX_LB_ALLOCATOR=system keeps glibc's malloc; =jemalloc makes a missing library an error.
// The figures are in bench/BASELINE.md.
import { existsSync } from 'node:fs';
import { arch } from 'node:os';

const TRIPLETS = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

// Where distributions install the shared library (Debian/Ubuntu multiarch first).
export function candidates() {
  const triplet = TRIPLETS[arch()];
  return [
    ...(triplet ? [`/usr/lib/${triplet}/libjemalloc.so.2`] : []),
    '/usr/local/lib/libjemalloc.so.2',
    '/usr/lib64/libjemalloc.so.2',
    '/usr/lib/libjemalloc.so.2',
  ];
}

// Unused dirty pages go back to the system after 1 s, purged by jemalloc's own background thread
// (so an idle process gives them back too), without a lazily-freed ("muzzy") stage that would
// still count in RSS.
export const JEMALLOC_CONF = 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0';

/**
 * The variables to add to a Node process's environment so that it runs with jemalloc, or {} to
 * leave it alone (not Linux, CODEX_LB_ALLOCATOR=system, already preloaded, or not installed).
 * Throws when CODEX_LB_ALLOCATOR=jemalloc asks for it and it is not installed. `libraries` are the
 * paths looked at, in order.
 */
export function allocatorEnv(env = process.env, libraries = candidates()) {
  const choice = (env.CODEX_LB_ALLOCATOR || 'auto').trim().toLowerCase();
  if (!['auto', 'jemalloc', 'system'].includes(choice)) {
    throw new Error(`CODEX_LB_ALLOCATOR must be auto, jemalloc or system (got "${env.CODEX_LB_ALLOCATOR}")`);
  }
  if (choice === 'system' || process.platform !== 'linux') return {};
  const preload = env.LD_PRELOAD ?? '';
  if (allocatorOf(env) === 'jemalloc') return {};
  const library = libraries.find((path) => existsSync(path));
  if (!library) {
    if (choice === 'jemalloc') {
      throw new Error('CODEX_LB_ALLOCATOR=jemalloc, but libjemalloc.so.2 is not installed (Debian: libjemalloc2)');
    }
    return {};
  }
  return {
    LD_PRELOAD: preload ? `${library} ${preload}` : library,
    MALLOC_CONF: env.MALLOC_CONF ?? JEMALLOC_CONF,
  };
}

/** The allocator a process started with `env` (its whole environment) runs with. */
export function allocatorOf(env) {
  return env.LD_PRELOAD?.includes('libjemalloc') ? 'jemalloc' : 'system';
}
