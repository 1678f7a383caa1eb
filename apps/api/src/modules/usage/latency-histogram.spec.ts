import {
  addToHistogram,
  bucketIndex,
  bucketUpperBound,
  emptyHistogram,
  HISTOGRAM_BUCKETS,
  mergeHistogram,
  percentile,
} from './latency-histogram';

describe('latency histogram', () => {
  it('puts values in log-scale buckets with inclusive upper bounds', () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(10)).toBe(0);
    expect(bucketIndex(11)).toBe(1);
    expect(bucketIndex(bucketUpperBound(5))).toBe(5);
    expect(bucketIndex(bucketUpperBound(5) + 0.01)).toBe(6);
    expect(bucketIndex(10 * 60 * 60 * 1000)).toBe(HISTOGRAM_BUCKETS - 1);
    expect(bucketIndex(Number.NaN)).toBe(0);
  });

  it('is monotonic over the whole range', () => {
    let last = 0;
    for (let ms = 0; ms < 2_000_000; ms = Math.ceil(ms * 1.07) + 1) {
      const i = bucketIndex(ms);
      expect(i).toBeGreaterThanOrEqual(last);
      last = i;
    }
  });

  it('merges by element-wise sum', () => {
    const a = emptyHistogram();
    const b = emptyHistogram();
    addToHistogram(a, 100);
    addToHistogram(b, 100);
    addToHistogram(b, 5000);
    mergeHistogram(a, b);
    expect(a[bucketIndex(100)]).toBe(2);
    expect(a[bucketIndex(5000)]).toBe(1);
    expect(a.reduce((s, n) => s + n, 0)).toBe(3);
    mergeHistogram(a, null);
    expect(a.reduce((s, n) => s + n, 0)).toBe(3);
  });

  it('estimates percentiles within the bucket width', () => {
    const h = emptyHistogram();
    const values: number[] = [];
    for (let i = 1; i <= 1000; i++) values.push(20 + i * 3); // 23 .. 3020 ms, uniform
    for (const v of values) addToHistogram(h, v);
    const exact = (p: number) => values[Math.ceil(p * values.length) - 1];
    for (const p of [0.5, 0.95]) {
      const estimate = percentile(h, p)!;
      expect(Math.abs(estimate - exact(p)) / exact(p)).toBeLessThan(0.17);
    }
  });

  it('answers a single value with a number inside its bucket, and null when empty', () => {
    const h = emptyHistogram();
    expect(percentile(h, 0.5)).toBeNull();
    addToHistogram(h, 250);
    const p50 = percentile(h, 0.5)!;
    const i = bucketIndex(250);
    expect(p50).toBeGreaterThan(bucketUpperBound(i - 1) - 1);
    expect(p50).toBeLessThanOrEqual(Math.ceil(bucketUpperBound(i)));
  });
});
