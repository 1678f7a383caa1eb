import { uuidv7 } from './uuid7';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is a version-7, RFC 9562 variant UUID', () => {
    for (let i = 0; i < 1000; i++) expect(uuidv7()).toMatch(UUID_V7);
  });

  it('starts with the time in milliseconds, big-endian', () => {
    const at = Date.UTC(2026, 11, 5, 1, 2, 3, 456);
    const id = uuidv7(at);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts by time as text, and is unique within a millisecond', () => {
    const ids = [uuidv7(1_000), uuidv7(2_000), uuidv7(1_700_000_000_000), uuidv7(2 ** 47)];
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 10_000 }, () => uuidv7(5_000)));
    expect(same.size).toBe(10_000);
  });
});
