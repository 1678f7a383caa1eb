// Reused buffers for the upstream bodies the gateway builds itself (a chat body translated into a
// Responses body): a fresh 40 KB buffer per request cost its allocation and, as its pages were
// written for the first time, page faults; together more than the copy of the body into it
// (bench/BASELINE.md). A buffer is taken for one exchange and given back once that exchange has
// ended, when no upstream request can still be writing from it (ProxyService.run returns only
// after its upstream requests finished or were aborted, and an aborted request's socket is
// destroyed with whatever it had not written).
//
// Buffers come in size classes of 16 KB to 1 MB; a larger body gets a buffer of its own. At most
// MAX_FREE_BYTES wait to be reused; beyond that a given-back buffer is left to the collector. A
// buffer never given back (an exchange that threw before it could) is simply collected: the pool
// keeps no strong reference to buffers in use.

const MIN_CLASS_BYTES = 16 * 1024;
const CLASS_SIZES = [16, 32, 64, 128, 256, 512, 1024].map((kb) => kb * 1024);
/** Buffers waiting to be reused, all classes together. */
export const MAX_FREE_BYTES = 8 * 1024 * 1024;

const free: Buffer[][] = CLASS_SIZES.map(() => []);
let freeBytes = 0;
/** The whole buffer behind each body handed out and not yet given back. */
const taken = new WeakMap<ArrayBuffer, Buffer>();

function classOf(size: number): number {
  if (size <= MIN_CLASS_BYTES) return 0;
  const index = Math.ceil(Math.log2(size / MIN_CLASS_BYTES));
  return index < CLASS_SIZES.length ? index : -1;
}

/** A buffer of exactly `size` bytes whose contents are undefined (like Buffer.allocUnsafe). */
export function takeBodyBuffer(size: number): Buffer {
  const index = classOf(size);
  if (index === -1) return Buffer.allocUnsafe(size);
  let whole = free[index].pop();
  if (whole) freeBytes -= whole.length;
  else whole = Buffer.allocUnsafeSlow(CLASS_SIZES[index]);
  taken.set(whole.buffer as ArrayBuffer, whole);
  return whole.subarray(0, size);
}

/**
 * Gives back a buffer from takeBodyBuffer once nothing reads it any more. Anything else (a buffer
 * of its own, one given back already) is ignored.
 */
export function giveBackBodyBuffer(body: Buffer | string | null | undefined): void {
  if (!Buffer.isBuffer(body) || body.byteOffset !== 0) return;
  const arrayBuffer = body.buffer as ArrayBuffer;
  const whole = taken.get(arrayBuffer);
  if (!whole) return;
  taken.delete(arrayBuffer);
  if (freeBytes + whole.length > MAX_FREE_BYTES) return;
  free[classOf(whole.length)].push(whole);
  freeBytes += whole.length;
}

/** Buffers waiting to be reused and their bytes (for specs and diagnostics). */
export function bodyBuffersFree(): { buffers: number; bytes: number } {
  return { buffers: free.reduce((n, list) => n + list.length, 0), bytes: freeBytes };
}
