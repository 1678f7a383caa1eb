// Time-ordered request ids (UUID version 7, RFC 9562): 48 bits of Unix milliseconds, then random
// bits. Request-log rows are keyed by the request's id; with random (version 4) ids every insert
// lands on a random page of the primary key's B-tree, with these it lands on the newest one.
import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7: a version-4 UUID (Node's cached randomness) whose first 48 bits are replaced by the
 * time and whose version nibble says 7. The variant bits and the 74 random bits stay as they are.
 */
export function uuidv7(now = Date.now()): string {
  // random: xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx; from offset 15 on: rand_a, the variant, rand_b.
  const random = randomUUID().slice(15);
  if (now !== prefixAt) {
    const time = now.toString(16).padStart(12, '0');
    prefix = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
    prefixAt = now;
  }
  return prefix + random;
}

/** The time part of the last id, reused by every id of the same millisecond. */
let prefixAt = -1;
let prefix = '';
