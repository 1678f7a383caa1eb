// Counters and histograms for the proxy's hot path. prom-client's own children hash their label
// object on every update; these keep one plain record per label combination, found through
// nested Maps, so an update is a few Map lookups and additions. The registry reads them only on a
// scrape, in prom-client's value format (registered with Registry.registerMetric).
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;

interface Value {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** What Registry.registerMetric needs of a metric. */
interface Collectable {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Value[] }>;
  reset(): void;
}

/**
 * A tree of label values, one level per label name. Each level keeps at most `maxValues`
 * distinct values; later ones share the `other` branch, so no caller can grow a series without
 * bound, whatever it passes.
 */
class LabelTree<T> {
  private readonly root = new Map<string, unknown>();
  readonly leaves: { labels: Labels; leaf: T }[] = [];

  constructor(
    private readonly names: readonly string[],
    private readonly make: () => T,
    private readonly maxValues: number,
  ) {
    if (names.length < 1 || names.length > 5) throw new Error('1 to 5 labels');
  }

  /** The leaf for these label values (up to five labels, positional: nothing is allocated). */
  get(v0: string, v1 = '', v2 = '', v3 = '', v4 = ''): T {
    const depth = this.names.length;
    let node: unknown = this.root.get(v0);
    if (node !== undefined && depth > 1) node = (node as Map<string, unknown>).get(v1);
    if (node !== undefined && depth > 2) node = (node as Map<string, unknown>).get(v2);
    if (node !== undefined && depth > 3) node = (node as Map<string, unknown>).get(v3);
    if (node !== undefined && depth > 4) node = (node as Map<string, unknown>).get(v4);
    return node === undefined ? this.insert([v0, v1, v2, v3, v4]) : (node as T);
  }

  /** The first update of a combination (or one past a full level): the only path that allocates. */
  private insert(values: readonly string[]): T {
    const last = this.names.length - 1;
    const labels: Labels = {};
    let level = this.root;
    for (let i = 0; ; i++) {
      let value = values[i];
      if (!level.has(value) && level.size >= this.maxValues) value = 'other';
      labels[this.names[i]] = value;
      let next = level.get(value);
      if (next === undefined) {
        if (i === last) {
          const leaf = this.make();
          this.leaves.push({ labels, leaf });
          next = leaf;
        } else {
          next = new Map<string, unknown>();
        }
        level.set(value, next);
      }
      if (i === last) return next as T;
      level = next as Map<string, unknown>;
    }
  }

  clear(): void {
    this.root.clear();
    this.leaves.length = 0;
  }
}

export interface CounterChild {
  value: number;
}

/** A counter family; `child(values)` is cached per label combination, `child.value += n` counts. */
export class FastCounter implements Collectable {
  readonly type = 'counter' as const;
  readonly aggregator = 'sum' as const;
  private readonly tree: LabelTree<CounterChild>;

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[],
    maxValuesPerLabel = 64,
  ) {
    this.tree = new LabelTree(labelNames, () => ({ value: 0 }), maxValuesPerLabel);
  }

  child(v0: string, v1?: string, v2?: string, v3?: string, v4?: string): CounterChild {
    return this.tree.get(v0, v1, v2, v3, v4);
  }

  get() {
    const values = this.tree.leaves.map(({ labels, leaf }) => ({ labels, value: leaf.value }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.tree.clear();
  }
}

export interface HistogramChild {
  /** Per bucket (not cumulative); the last slot is +Inf. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** A histogram family with fixed upper bounds; observe through `observe(child, value)`. */
export class FastHistogram implements Collectable {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly tree: LabelTree<HistogramChild>;

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
    maxValuesPerLabel = 64,
  ) {
    this.tree = new LabelTree(
      labelNames,
      () => ({ buckets: new Float64Array(bounds.length + 1), sum: 0, count: 0 }),
      maxValuesPerLabel,
    );
  }

  child(v0: string, v1?: string, v2?: string, v3?: string, v4?: string): HistogramChild {
    return this.tree.get(v0, v1, v2, v3, v4);
  }

  observe(child: HistogramChild, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    child.buckets[i]++;
    child.sum += value;
    child.count++;
  }

  get() {
    const values: Value[] = [];
    for (const { labels, leaf } of this.tree.leaves) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += leaf.buckets[i];
        const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
        values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels, value: leaf.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: leaf.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.tree.clear();
  }
}

export function registerFast(registry: Registry, metric: FastCounter | FastHistogram): void {
  registry.registerMetric(metric as never);
}
