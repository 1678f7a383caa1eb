import { UpstreamResponse } from './upstream-response';

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p));

describe('UpstreamResponse', () => {
  it('finds one header without decoding the rest, and decodes all on demand', async () => {
    const response = new UpstreamResponse();
    response.onHeaders(
      200,
      raw(
        'Content-Type',
        'text/event-stream',
        'X-Codex-Primary-Used-Percent',
        '12',
        'Set-Cookie',
        'a',
        'Set-Cookie',
        'b',
      ),
      () => undefined,
    );
    await expect(response.ready).resolves.toBe(response);
    expect(response.header('content-type')).toBe('text/event-stream');
    expect(response.header('x-missing')).toBeUndefined();
    expect(response.headers).toEqual({
      'content-type': 'text/event-stream',
      'x-codex-primary-used-percent': '12',
      'set-cookie': ['a', 'b'],
    });
    expect(response.header('set-cookie')).toBe('a');
  });

  it('hands chunks on in order, those before the sink too, and pauses when the sink says so', async () => {
    const response = new UpstreamResponse();
    let resumed = 0;
    response.onHeaders(200, raw(), () => resumed++);
    response.onData(Buffer.from('early '));
    const seen: string[] = [];
    const done = response.forEach((chunk) => {
      seen.push(chunk.toString());
      return seen.length < 2;
    });
    expect(response.onData(Buffer.from('second '))).toBe(false);
    response.resume();
    expect(response.onData(Buffer.from('third'))).toBe(false);
    response.onComplete();
    await done;
    expect([seen.join(''), resumed]).toEqual(['early second third', 1]);
  });

  it('fails the body when the request fails, and aborts on destroy, even before it connected', async () => {
    const failing = new UpstreamResponse();
    failing.onHeaders(200, raw(), () => undefined);
    const body = failing.text();
    failing.onError(new Error('socket hang up'));
    await expect(body).rejects.toThrow('socket hang up');

    const early = new UpstreamResponse();
    early.destroy();
    let aborted: Error | undefined;
    early.onConnect((error) => {
      aborted = error;
    });
    expect(aborted?.message).toMatch(/went away/);
    // Whoever waits on it is released at once, not when undici would have sent it.
    await expect(early.ready).rejects.toThrow(/went away/);

    const refused = new UpstreamResponse();
    refused.onError(new Error('connect ECONNREFUSED'));
    await expect(refused.ready).rejects.toThrow('ECONNREFUSED');
  });
});
