// The objects in flight on a hot path (exchanges, upstream answers), each with a value, kept without
// a hash table. They come and go thousands of times a second. A Map or Set under that churn
// rebuilds its table every few dozen operations, and each table it leaves behind still points at
// the entries it held. Once such a table is in the old generation, those stale pointers keep
// finished requests (and everything they reach) alive through every young collection until the
// next full one, which promotes them: the proxy's Map of exchanges in flight more than doubled
// what each young collection promoted (bench/BASELINE.md).
//
// Here each item knows its slot. Removing one moves the last item into its place and clears the
// vacated slot, and the arrays never shrink (they grow to the peak in flight and stay), so no
// stale copy of them is ever left behind.

/** An object that can be in one SlotList at a time; -1 when it is in none. */
export interface Slotted {
  slot: number;
}

export class SlotList<T extends Slotted, V = undefined> {
  private readonly items: (T | null)[] = [];
  private readonly values: (V | null)[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(item: T, value: V): void {
    if (item.slot !== -1) throw new Error('The item is already in a list.');
    item.slot = this.count;
    if (this.count < this.items.length) {
      this.items[this.count] = item;
      this.values[this.count] = value;
    } else {
      this.items.push(item);
      this.values.push(value);
    }
    this.count++;
  }

  /** Takes the item out; false when it was not in this list. */
  remove(item: T): boolean {
    const slot = item.slot;
    if (slot < 0 || slot >= this.count || this.items[slot] !== item) return false;
    item.slot = -1;
    const last = --this.count;
    if (slot !== last) {
      const moved = this.items[last]!;
      this.items[slot] = moved;
      this.values[slot] = this.values[last];
      moved.slot = slot;
    }
    this.items[last] = null;
    this.values[last] = null;
    return true;
  }

  /** The items and their values now, as a copy: the caller may remove items while going through it. */
  entries(): [T, V][] {
    const out: [T, V][] = new Array<[T, V]>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = [this.items[i]!, this.values[i] as V];
    return out;
  }

  /** The items now, as a copy (see entries()). */
  list(): T[] {
    return this.items.slice(0, this.count) as T[];
  }
}
