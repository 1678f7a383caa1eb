// Run by runtime-flags.spec.ts in a child process: loads the API's V8 settings as main.ts does,
// keeps ~40 MB alive, then makes a fixed number of objects that outlive young collections (as
// request-log entries waiting for their batch do), and prints the heap's peak against what is
// alive after a full collection.
import '../../src/runtime-flags';

declare const gc: () => void;

const live: { n: number; text: string }[] = [];
for (let i = 0; i < 400_000; i++) live.push({ n: i, text: `${'x'.repeat(40)}${i}` });
const ring: unknown[] = new Array<unknown>(20_000).fill(null);
let k = 0;
let peak = 0;
// A count, not a time: a busy machine takes longer, and reaches the same limits.
const rounds = Number(process.argv[2] ?? 800);
let round = 0;

function churn(): void {
  for (let i = 0; i < 4000; i++, k++) {
    ring[k % ring.length] = { id: `r${k}`, at: new Date(), text: `${'y'.repeat(100)}${k}` };
  }
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  if (++round < rounds) {
    setImmediate(churn);
    return;
  }
  gc();
  const alive = process.memoryUsage().heapUsed;
  process.stdout.write(JSON.stringify({ peakMb: peak / 2 ** 20, aliveMb: alive / 2 ** 20, kept: live.length }));
}
churn();
