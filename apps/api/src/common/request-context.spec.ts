// The request context is on only while one is open: Node 20's AsyncLocalStorage installs async
// hooks for the whole process while enabled, which the proxy would otherwise pay for on every
// promise of every request. (Whether hooks are on is process-wide, and specs share a worker
// process, so what is checked here is the open count and the storage's answers.)
import { currentRequestContext, requestContextActive, runWithRequestContext } from './request-context';

const context = (requestId: string) => ({ requestId, ip: null, userAgent: null, method: 'GET', path: '/x' });

describe('request context', () => {
  it('is off outside a context, and on exactly while a synchronous one runs', () => {
    expect(requestContextActive()).toBe(false);
    expect(currentRequestContext()).toBeUndefined();
    const inside = runWithRequestContext(context('a'), () => {
      expect(requestContextActive()).toBe(true);
      return currentRequestContext()?.requestId;
    });
    expect(inside).toBe('a');
    expect(requestContextActive()).toBe(false);
    expect(currentRequestContext()).toBeUndefined();
  });

  it('follows an async context through its awaits, and turns off once the last one settles', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = runWithRequestContext(context('first'), async () => {
      await gate;
      return currentRequestContext()?.requestId;
    });
    const second = runWithRequestContext(context('second'), async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return currentRequestContext()?.requestId;
    });
    expect(await second).toBe('second');
    // The first is still open.
    expect(requestContextActive()).toBe(true);
    release();
    expect(await first).toBe('first');
    await new Promise((resolve) => setImmediate(resolve));
    expect(requestContextActive()).toBe(false);
    // A rejected one closes too.
    await expect(
      runWithRequestContext(context('failing'), async () => {
        await Promise.resolve();
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await new Promise((resolve) => setImmediate(resolve));
    expect(requestContextActive()).toBe(false);
    expect(() =>
      runWithRequestContext(context('throwing'), () => {
        throw new Error('sync');
      }),
    ).toThrow('sync');
    expect(requestContextActive()).toBe(false);
  });
});
