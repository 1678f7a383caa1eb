// Which keys in use an invalidation concerns, and the recheck that asks once more about those the
// database could not answer for (HTTP streams and WebSocket sessions share both).
import { checkWithOneRetry, concernsKey } from './key-invalidation';

describe('concernsKey', () => {
  const key = { id: 'k1', ownerUserId: 'u1', ownerRole: 'user' };

  it('matches by key, owner, owner role, or everything; nothing else', () => {
    expect(concernsKey({ keyId: 'k1' }, key)).toBe(true);
    expect(concernsKey({ ownerId: 'u1' }, key)).toBe(true);
    expect(concernsKey({ ownerRole: 'user' }, key)).toBe(true);
    expect(concernsKey({ all: true }, key)).toBe(true);
    expect(concernsKey({ keyId: 'k2', ownerId: 'u2', ownerRole: 'admin' }, key)).toBe(false);
    expect(concernsKey({ accountId: 'a1' }, key)).toBe(false);
    expect(concernsKey({ digest: 'd' }, key)).toBe(false);
  });
});

describe('checkWithOneRetry', () => {
  it('asks again, once and together after the wait, only about the undecided', async () => {
    const answers = new Map<string, (boolean | null)[]>([
      ['decided', [true]],
      ['late', [null, false]],
      ['down', [null, null]],
    ]);
    const asked: string[] = [];
    const started = Date.now();
    const verdicts = await checkWithOneRetry(
      ['decided', 'late', 'down'],
      async (item) => {
        asked.push(item);
        return answers.get(item)!.shift()!;
      },
      50,
    );
    expect(verdicts).toEqual([true, false, null]);
    expect(asked).toEqual(['decided', 'late', 'down', 'late', 'down']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    // Nothing undecided: no wait at all.
    expect(await checkWithOneRetry([1, 2], async (n) => n * 2, 10_000)).toEqual([2, 4]);
  });
});
