// Fixed log-scale histograms for latency and time to first byte. Every rollup row carries one,
// and histograms merge by element-wise sum, so p50/p95 over any range come from the rollups
// without reading raw logs. Bucket i holds values in (bound(i-1), bound(i)]; the last bucket
// holds everything above bound(BUCKETS - 2). Each bucket is ~34% wide, which bounds the error of
// an interpolated percentile to about half of that.

export const HISTOGRAM_BUCKETS = 40;
const BASE_MS = 10;
const FACTOR = 1.34;
const LOG_FACTOR = Math.log(FACTOR);

/** Upper bound (ms) of bucket i; the overflow bucket reports one factor past the last bound. */
export function bucketUpperBound(i: number): number {
  return BASE_MS * FACTOR ** Math.min(i, HISTOGRAM_BUCKETS - 1);
}

function bucketLowerBound(i: number): number {
  return i === 0 ? 0 : bucketUpperBound(i - 1);
}

export function bucketIndex(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  // The epsilon keeps exact bounds (10 * 1.34^k) in their own bucket despite rounding.
  const i = Math.ceil(Math.log(ms / BASE_MS) / LOG_FACTOR - 1e-9);
  return Math.min(HISTOGRAM_BUCKETS - 1, i);
}

/** The same bucketing as bucketIndex, as SQL over an integer column (for bulk rebuilds). */
export function bucketIndexSql(column: string): string {
  return `LEAST(${HISTOGRAM_BUCKETS - 1}, GREATEST(0, CEIL(LN(GREATEST(${column}, ${BASE_MS})::float8 / ${BASE_MS}) / LN(${FACTOR}) - 1e-9)))::int`;
}

export function emptyHistogram(): number[] {
  return new Array<number>(HISTOGRAM_BUCKETS).fill(0);
}

export function addToHistogram(histogram: number[], ms: number): void {
  histogram[bucketIndex(ms)] += 1;
}

/** Element-wise sum into `target`; a shorter or missing source adds nothing where it ends. */
export function mergeHistogram(target: number[], source: readonly number[] | null | undefined): void {
  if (!source) return;
  for (let i = 0; i < HISTOGRAM_BUCKETS && i < source.length; i++) target[i] += Number(source[i]) || 0;
}

/**
 * The p-th percentile (0 < p <= 1) by linear interpolation inside the bucket that holds the
 * target rank. Null for an empty histogram.
 */
export function percentile(histogram: readonly number[], p: number): number | null {
  let total = 0;
  for (const count of histogram) total += count;
  if (total === 0) return null;
  const rank = Math.min(Math.max(p, 0), 1) * total;
  let before = 0;
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i];
    if (count > 0 && before + count >= rank) {
      const lower = bucketLowerBound(i);
      const upper = i === HISTOGRAM_BUCKETS - 1 ? bucketUpperBound(i) * FACTOR : bucketUpperBound(i);
      const value = lower + ((upper - lower) * (rank - before)) / count;
      return Math.round(value);
    }
    before += count;
  }
  return Math.round(bucketUpperBound(HISTOGRAM_BUCKETS - 1));
}
