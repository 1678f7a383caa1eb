import { ApiError } from '../../common/api-error';
import { decodeCursor, encodeCursor } from './log-cursor';

describe('request log cursor', () => {
  const cursor = { at: '2025-03-04T05:06:07.123456Z', id: '6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e' };

  it('round-trips microsecond timestamps and ids through an opaque url-safe string', () => {
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it.each([
    ['garbage', 'not-a-cursor!!'],
    ['wrong shape', Buffer.from(JSON.stringify({ at: cursor.at })).toString('base64url')],
    ['bad id', Buffer.from(JSON.stringify([cursor.at, 'x'])).toString('base64url')],
    ['bad time', Buffer.from(JSON.stringify(['yesterday', cursor.id])).toString('base64url')],
    ['sql in time', Buffer.from(JSON.stringify(["2025-01-01'; --", cursor.id])).toString('base64url')],
  ])('refuses %s with a 400', (_label, value) => {
    expect(() => decodeCursor(value)).toThrow(ApiError);
    try {
      decodeCursor(value);
    } catch (error) {
      expect((error as ApiError).getStatus()).toBe(400);
    }
  });
});
