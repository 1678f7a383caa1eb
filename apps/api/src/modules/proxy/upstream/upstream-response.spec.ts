import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamResponse } from './upstream-response';

describe('UpstreamResponse', () => {
  it('finds one header without decoding the rest, and decodes all on demand', async () => {
    const response = new UpstreamResponse();
    response.onHeaders(200, [
      'Content-Type',
      'text/event-stream',
      'X-Codex-Primary-Used-Percent',
      '12',
      'Set-Cookie',
      'a',
      'Set-Cookie',
      'b',
    ]);
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
    response.onHeaders(200, []);
    response.onData(Buffer.from('early '));
    const seen: string[] = [];
    const done = response.forEach((chunk) => {
      seen.push(chunk.toString());
      return seen.length < 2;
    });
    expect(response.onData(Buffer.from('second '))).toBe(false);
    expect(response.paused).toBe(true);
    response.resume();
    expect(response.paused).toBe(false);
    expect(response.onData(Buffer.from('third'))).toBe(false);
    response.onComplete();
    await done;
    expect(seen.join('')).toBe('early second third');
  });

  it('fails the body when the request fails, once, and releases a destroyed request at once', async () => {
    const failing = new UpstreamResponse();
    failing.onHeaders(200, []);
    const body = failing.text();
    failing.fail(new Error('socket hang up'));
    failing.fail(new Error('a second failure is ignored'));
    failing.onComplete();
    await expect(body).rejects.toThrow('socket hang up');

    const early = new UpstreamResponse();
    early.destroy();
    await expect(early.ready).rejects.toThrow(/went away/);

    const refused = new UpstreamResponse();
    refused.fail(new Error('connect ECONNREFUSED'));
    await expect(refused.ready).rejects.toThrow('ECONNREFUSED');
  });

  it('reads a real answer, pauses the socket when the sink says so, and aborts the request on destroy', async () => {
    let closed = 0;
    const server = http.createServer((req, res) => {
      res.on('close', () => closed++);
      if (req.url === '/hang') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
        return; // never ends: the client destroys it
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-a': '1' });
      res.end('{"ok":true}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: true });
    try {
      const ok = new UpstreamResponse();
      ok.send(http.request({ host: '127.0.0.1', port, method: 'POST', path: '/ok', agent }), '{}');
      await ok.ready;
      expect([ok.statusCode, ok.header('x-a')]).toEqual([200, '1']);
      await expect(ok.json()).resolves.toEqual({ ok: true });

      const hang = new UpstreamResponse();
      hang.send(http.request({ host: '127.0.0.1', port, method: 'POST', path: '/hang', agent }), '{}');
      await hang.ready;
      const seen: string[] = [];
      const body = hang.forEach((chunk) => void seen.push(chunk.toString()));
      while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      hang.destroy(new Error('not wanted'));
      await expect(body).rejects.toThrow('not wanted');
      while (closed < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(seen.join('')).toBe('data: 1\n\n');
    } finally {
      agent.destroy();
      server.close();
    }
  });
});
