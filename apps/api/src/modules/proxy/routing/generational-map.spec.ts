import { GenerationalMap } from './binding-table';

describe('GenerationalMap', () => {
  const HOUR = 3600_000;

  it('keeps an entry at least one generation after it was last set, and drops it after two', () => {
    const map = new GenerationalMap(HOUR, 1000, 0);
    map.set('a', 'acc-1', 0);
    expect(map.get('a', HOUR - 1)).toBe('acc-1');
    expect(map.get('a', HOUR + 1)).toBe('acc-1'); // turned over once: still in the older generation
    expect(map.get('a', 2 * HOUR + 2)).toBeUndefined();
  });

  it('refreshes an entry that is set again, and rebinding wins over the older generation', () => {
    const map = new GenerationalMap(HOUR, 1000, 0);
    map.set('a', 'acc-1', 0);
    map.set('b', 'acc-1', 0);
    map.set('a', 'acc-1', HOUR + 10); // turns over; 'a' is written to the new generation
    map.set('b', 'acc-2', HOUR + 20);
    expect(map.get('b', HOUR + 30)).toBe('acc-2');
    expect(map.get('a', 2 * HOUR + 20)).toBe('acc-1');
    expect(map.get('b', 3 * HOUR + 30)).toBeUndefined();
  });

  it('forgets everything after a long idle time', () => {
    const map = new GenerationalMap(HOUR, 1000, 0);
    map.set('a', 'acc-1', 0);
    expect(map.get('a', 5 * HOUR)).toBeUndefined();
  });

  it('never holds more than its bound', () => {
    const map = new GenerationalMap(HOUR, 100, 0);
    for (let i = 0; i < 1000; i++) map.set(`k${i}`, 'acc', 1);
    expect(map.size).toBeLessThanOrEqual(100);
    expect(map.get('k999', 1)).toBe('acc');
    expect(map.get('k949', 1)).toBe('acc');
    expect(map.get('k0', 1)).toBeUndefined();
  });
});

describe('GenerationalMap: keys held as keyed hashes', () => {
  const HOUR = 3600_000;

  it('tells 50,000 bound keys from 50,000 others, each with its own account', () => {
    const map = new GenerationalMap(HOUR, 200_000, 0);
    const accounts = ['acc-a', 'acc-b', 'acc-c'];
    for (let i = 0; i < 50_000; i++) map.set(`owner-1:resp:resp_${i.toString(16)}`, accounts[i % 3], 1);
    expect(map.size).toBe(50_000);
    let wrong = 0;
    for (let i = 0; i < 50_000; i++) {
      if (map.get(`owner-1:resp:resp_${i.toString(16)}`, 2) !== accounts[i % 3]) wrong += 1;
      if (map.get(`owner-2:resp:resp_${i.toString(16)}`, 2) !== undefined) wrong += 1;
    }
    expect(wrong).toBe(0);
  });

  it('tells apart keys that differ in length only, in one code unit, or far into a long key', () => {
    const map = new GenerationalMap(HOUR, 1000, 0);
    const long = 't'.repeat(100_000);
    const keys = ['', 'a', 'a\0', '\0a', 'ab', 'ba', 'é', 'e\u0301', `${long}`, `${long}u`, `${long.slice(1)}u`];
    keys.forEach((key, i) => map.set(key, `acc-${i}`, 1));
    keys.forEach((key, i) => expect(map.get(key, 1)).toBe(`acc-${i}`));
  });

  it('holds memory for the entries it has, not for its bound, and gives it back at turnover', () => {
    const map = new GenerationalMap(HOUR, 400_000, 0);
    // At the bound, each generation needs 2^19 slots (8 MB); empty, both hold 1,024 (16 KB each).
    expect(map.capacity).toBe(2 * 1024);
    for (let i = 0; i < 3000; i++) map.set(`owner-1:resp:r${i}`, 'acc-a', 1);
    // 3,000 entries at most half full: 8,192 slots in the current generation.
    expect(map.capacity).toBe(8192 + 1024);
    for (let i = 0; i < 3000; i++) expect(map.get(`owner-1:resp:r${i}`, 1)).toBe('acc-a');
    // Two turnovers later the full generation was cleared and starts small again.
    map.set('fresh', 'acc-b', HOUR + 1);
    map.set('fresh', 'acc-b', 2 * HOUR + 2);
    expect(map.get('owner-1:resp:r0', 2 * HOUR + 2)).toBeUndefined();
    expect(map.get('fresh', 2 * HOUR + 2)).toBe('acc-b');
    expect(map.capacity).toBe(2 * 1024);
  });

  it('keeps every entry through growth from 1,024 slots to its bound of 400,000', () => {
    const map = new GenerationalMap(HOUR, 400_000, 0);
    for (let i = 0; i < 200_000; i++) map.set(`k${i}`, `acc-${i % 7}`, 1);
    expect(map.size).toBe(200_000);
    expect(map.capacity).toBe(2 ** 19 + 1024);
    let wrong = 0;
    for (let i = 0; i < 200_000; i++) if (map.get(`k${i}`, 1) !== `acc-${i % 7}`) wrong += 1;
    expect(wrong).toBe(0);
  });

  it('rebinds a key in place without growing', () => {
    const map = new GenerationalMap(HOUR, 1000, 0);
    for (let i = 0; i < 10; i++) map.set('owner-1:session:s1', `acc-${i}`, 1);
    expect(map.size).toBe(1);
    expect(map.get('owner-1:session:s1', 1)).toBe('acc-9');
  });
});
