import { SlotList } from './slot-list';

interface Item {
  name: string;
  slot: number;
}

const item = (name: string): Item => ({ name, slot: -1 });

/** The list's own arrays, to check that nothing stale is left in them. */
function arraysOf(list: SlotList<Item, number>): { items: (Item | null)[]; values: (number | null)[] } {
  return list as unknown as { items: (Item | null)[]; values: (number | null)[] };
}

describe('SlotList', () => {
  it('adds and removes in any order, each item keeping its value', () => {
    const list = new SlotList<Item, number>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(item);
    list.add(a, 1);
    list.add(b, 2);
    list.add(c, 3);
    list.add(d, 4);
    expect(list.size).toBe(4);
    expect(list.remove(b)).toBe(true);
    expect(b.slot).toBe(-1);
    // The last item took the removed one's place.
    expect(d.slot).toBe(1);
    expect(list.remove(a)).toBe(true);
    expect(new Map(list.entries().map(([x, v]) => [x.name, v]))).toEqual(
      new Map([
        ['c', 3],
        ['d', 4],
      ]),
    );
    expect(list.remove(d)).toBe(true);
    expect(list.remove(c)).toBe(true);
    expect(list.size).toBe(0);
    expect(list.entries()).toEqual([]);
  });

  it('clears every vacated slot and never shrinks its arrays (no stale pointer to a removed item)', () => {
    const list = new SlotList<Item, number>();
    const items = Array.from({ length: 50 }, (_, i) => item(`i${i}`));
    items.forEach((x, i) => list.add(x, i));
    for (const x of items.filter((_, i) => i % 3 !== 0)) list.remove(x);
    const { items: slots, values } = arraysOf(list);
    expect(slots).toHaveLength(50);
    const kept = items.filter((_, i) => i % 3 === 0);
    expect(slots.filter((x) => x !== null).sort((p, q) => p!.name.localeCompare(q!.name))).toEqual(
      kept.sort((p, q) => p.name.localeCompare(q.name)),
    );
    expect(slots.slice(list.size).every((x) => x === null)).toBe(true);
    expect(values.slice(list.size).every((x) => x === null)).toBe(true);
    // Refilling reuses the slots rather than growing.
    for (const x of items.filter((_, i) => i % 3 !== 0)) list.add(x, 0);
    expect(arraysOf(list).items).toHaveLength(50);
    expect(list.size).toBe(50);
  });

  it('refuses an item twice, and ignores removing one it does not hold', () => {
    const list = new SlotList<Item, number>();
    const other = new SlotList<Item, number>();
    const a = item('a');
    const b = item('b');
    list.add(a, 1);
    expect(() => list.add(a, 1)).toThrow('already in a list');
    expect(list.remove(b)).toBe(false);
    other.add(b, 2);
    // b's slot (0) is a's slot in `list`: the list checks the item, not just the index.
    expect(list.remove(b)).toBe(false);
    expect(list.size).toBe(1);
    expect(a.slot).toBe(0);
  });

  it('hands out copies, so items can be removed while going through them', () => {
    const list = new SlotList<Item, number>();
    const items = ['a', 'b', 'c'].map(item);
    items.forEach((x, i) => list.add(x, i));
    for (const x of list.list()) list.remove(x);
    expect(list.size).toBe(0);
    for (const x of items) expect(x.slot).toBe(-1);
  });
});
