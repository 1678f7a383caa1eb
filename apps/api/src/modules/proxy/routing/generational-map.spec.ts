import { GenerationalMap } from './account-selector';

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
