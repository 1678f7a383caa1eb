// Log-bucket latency histogram in microseconds (0.5 % relative resolution), mergeable.
const RATIO = 1.005;
const LN = Math.log(RATIO);

export class Histogram {
  constructor() {
    this.counts = new Float64Array(4096);
    this.total = 0;
    this.max = 0;
  }
  record(us) {
    const i = Math.min(this.counts.length - 1, Math.max(0, Math.ceil(Math.log(Math.max(1, us)) / LN)));
    this.counts[i] += 1;
    this.total += 1;
    if (us > this.max) this.max = us;
  }
  /** Adds another histogram's sparse [[bucket, count]] pairs. */
  merge(pairs, maxUs) {
    for (const [i, c] of pairs) {
      this.counts[i] += c;
      this.total += c;
    }
    if (maxUs > this.max) this.max = maxUs;
  }
  /** Value at quantile q in microseconds (bucket midpoint, geometric). */
  quantile(q) {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i += 1) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, RATIO ** (i - 0.5));
    }
    return this.max;
  }
}
