import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { Exchange } from './exchange';

/** A server whose handler gets an Exchange for each request; closed after each test. */
async function serve(
  handle: (exchange: Exchange, res: ServerResponse) => void,
): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    handle(new Exchange(req, res, '', null, 1_000), res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const turnEnd = () => new Promise((resolve) => setImmediate(resolve));

/** A GET that gives up after 2 s (an answer that never ends fails the test instead of hanging it). */
const get = (origin: string) => request(`${origin}/`, { headersTimeout: 2_000, bodyTimeout: 2_000 });

describe("Exchange: an answer's writes and its end leave at the turn's end", () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  it('a streamed answer ended in the turn of its last write: ended once the turn is over, whole', async () => {
    const states: string[] = [];
    const server = await serve((exchange, res) => {
      exchange.streamHead('text/event-stream');
      exchange.write('data: one\n\n', () => undefined);
      exchange.write(Buffer.from('data: two\n\n'), () => undefined);
      exchange.end('data: [DONE]\n\n');
      states.push(`after end(): ended ${res.writableEnded}`);
      void turnEnd().then(() => states.push(`after the turn: ended ${res.writableEnded}`));
    });
    close = server.close;
    const res = await get(server.origin);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(await res.body.text()).toBe('data: one\n\ndata: two\n\ndata: [DONE]\n\n');
    expect(states).toEqual(['after end(): ended false', 'after the turn: ended true']);
  });

  it('bytes written count what was handed to the client, the end included', async () => {
    let exchange: Exchange | null = null;
    const server = await serve((ex) => {
      exchange = ex;
      ex.streamHead('text/event-stream');
      ex.write('12345', () => undefined);
      ex.end('678');
      // Nothing after the end is written.
      ex.write('never', () => undefined);
      ex.end('never');
    });
    close = server.close;
    const res = await get(server.origin);
    expect(await res.body.text()).toBe('12345678');
    expect(exchange!.bytesWritten).toBe(8);
  });

  it('an abort (shutdown, revocation) between the end and the turn end does not cut the whole answer', async () => {
    let reason: string | null = 'unset';
    const server = await serve((exchange) => {
      exchange.streamHead('text/event-stream');
      exchange.write('data: all of it\n\n', () => undefined);
      exchange.end();
      exchange.abort('shutdown');
      reason = exchange.abortReason;
    });
    close = server.close;
    const res = await get(server.origin);
    expect(await res.body.text()).toBe('data: all of it\n\n');
    expect(reason).toBeNull();
  });

  it('an abort before the end still cuts a begun answer', async () => {
    const server = await serve((exchange) => {
      exchange.streamHead('text/event-stream');
      exchange.write('data: half\n\n', () => undefined);
      void turnEnd().then(() => {
        exchange.abort('shutdown');
        exchange.end();
      });
    });
    close = server.close;
    const res = await get(server.origin);
    await expect(res.body.text()).rejects.toThrow();
  });

  it('a whole JSON answer: its length and request id, sent at the turn end, once, and whole after a later end()', async () => {
    const states: boolean[] = [];
    let id = '';
    const server = await serve((exchange, res) => {
      id = exchange.id;
      exchange.answerJsonText(200, '{"answer":"é"}');
      states.push(res.writableEnded);
      exchange.answerJsonText(500, '{"second":true}');
      // An error after the answer (e.g. metering) ends the exchange again: the answer stays whole.
      exchange.end();
      void turnEnd().then(() => states.push(res.writableEnded));
    });
    close = server.close;
    const res = await get(server.origin);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength('{"answer":"é"}')));
    expect(res.headers['x-request-id']).toBe(id);
    expect(await res.body.json()).toEqual({ answer: 'é' });
    expect(states).toEqual([false, true]);
  });

  it('a client gone before the turn end: nothing is written and nothing throws', async () => {
    const ended = new Promise<{ destroyed: boolean; ended: boolean }>((resolve) => {
      void serve((exchange, res) => {
        exchange.streamHead('text/event-stream');
        exchange.write('data: one\n\n', () => undefined);
        exchange.end();
        res.destroy();
        void turnEnd().then(() => resolve({ destroyed: res.destroyed, ended: res.writableEnded }));
      }).then(async (server) => {
        close = server.close;
        await get(server.origin).catch(() => undefined);
      });
    });
    expect(await ended).toEqual({ destroyed: true, ended: false });
  });
});
