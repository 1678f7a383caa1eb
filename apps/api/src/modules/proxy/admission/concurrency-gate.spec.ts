import type { Exchange } from '../exchange';
import { ConcurrencyGate, type Release } from './concurrency-gate';

function exchange(): Exchange {
  return { waiting: null } as unknown as Exchange;
}

async function slot(value: Release | Promise<Release>): Promise<Release> {
  return value;
}

describe('ConcurrencyGate', () => {
  it('admits up to the per-key cap, queues the next and hands it the first freed slot', async () => {
    const gate = new ConcurrencyGate({ perOwner: 10, perKey: 2, queueTimeoutMs: 1_000 });
    const a = await slot(gate.acquire('o', 'k', exchange()));
    await slot(gate.acquire('o', 'k', exchange()));
    let third: Release | null = null;
    void slot(gate.acquire('o', 'k', exchange())).then((r) => (third = r));
    await Promise.resolve();
    expect(third).toBeNull();
    a();
    await new Promise((r) => setImmediate(r));
    expect(third).not.toBeNull();
    expect(gate.inFlight('o')).toBe(2);
  });

  it('a key at its cap does not hold back another key of the same owner', async () => {
    const gate = new ConcurrencyGate({ perOwner: 3, perKey: 1, queueTimeoutMs: 1_000 });
    const first = await slot(gate.acquire('o', 'k1', exchange()));
    const queued = slot(gate.acquire('o', 'k1', exchange()));
    const other = await slot(gate.acquire('o', 'k2', exchange()));
    expect(gate.inFlight('o')).toBe(2);
    first();
    await queued;
    other();
  });

  it('the owner cap counts every key; another owner is never affected', async () => {
    const gate = new ConcurrencyGate({ perOwner: 2, perKey: 2, queueTimeoutMs: 30 });
    await slot(gate.acquire('o', 'k1', exchange()));
    await slot(gate.acquire('o', 'k2', exchange()));
    await expect(slot(gate.acquire('o', 'k3', exchange()))).rejects.toMatchObject({
      code: 'concurrency_limit_exceeded',
      headers: { 'retry-after': '1' },
    });
    const elsewhere = gate.acquire('p', 'k9', exchange());
    expect(typeof elsewhere).toBe('function');
  });

  it('a waiter whose client leaves gives up its place at once and takes no slot', async () => {
    const gate = new ConcurrencyGate({ perOwner: 1, perKey: 1, queueTimeoutMs: 10_000 });
    const held = await slot(gate.acquire('o', 'k', exchange()));
    const leaving = exchange();
    const waiting = slot(gate.acquire('o', 'k', leaving));
    leaving.waiting!();
    await expect(waiting).rejects.toMatchObject({ code: 'client_closed' });
    held();
    expect(gate.inFlight('o')).toBe(0);
  });

  it('refuses at once when the owner queue is full, and forgets idle owners', async () => {
    const gate = new ConcurrencyGate({ perOwner: 1, perKey: 1, queueTimeoutMs: 10_000 });
    const held = await slot(gate.acquire('o', 'k', exchange()));
    const waiters = Array.from({ length: 4 }, () => exchange());
    const queued = waiters.map((e) => slot(gate.acquire('o', 'k', e)).catch((error: unknown) => error));
    expect(() => gate.acquire('o', 'k', exchange())).toThrow(/Too many requests/);
    for (const e of waiters) e.waiting!();
    await Promise.all(queued);
    held();
    expect(gate.inFlight('o')).toBe(0);
    expect((gate as unknown as { owners: Map<string, unknown> }).owners.size).toBe(0);
  });

  it('releasing twice gives back one slot', async () => {
    const gate = new ConcurrencyGate({ perOwner: 2, perKey: 2, queueTimeoutMs: 10 });
    const a = await slot(gate.acquire('o', 'k', exchange()));
    await slot(gate.acquire('o', 'k', exchange()));
    a();
    a();
    expect(gate.inFlight('o')).toBe(1);
  });
});
