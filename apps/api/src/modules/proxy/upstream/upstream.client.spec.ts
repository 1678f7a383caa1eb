import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Settings } from '../../../config/settings';
import { UpstreamClient } from './upstream.client';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('UpstreamClient deadlines', () => {
  let server: http.Server;
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  let client: UpstreamClient;

  beforeAll(async () => {
    server = http.createServer((req, res) => handler(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
  });

  function clientWith(headersMs: number, idleMs: number): UpstreamClient {
    const { port } = server.address() as AddressInfo;
    return new UpstreamClient({
      upstreamBaseUrl: `http://127.0.0.1:${port}/backend-api`,
      upstreamConnections: 8,
      upstreamHeadersTimeoutMs: headersMs,
      upstreamIdleTimeoutMs: idleMs,
    } as Settings);
  }
  afterEach(async () => {
    await client.onModuleDestroy();
    server.closeAllConnections();
  });

  const post = () => client.open({ method: 'POST', path: '/codex/responses', headers: {}, body: '{}' });

  it('aborts a request that gets no headers within the headers deadline (300 ms), and lets it go', async () => {
    handler = () => undefined; // accepted, never answered
    client = clientWith(300, 10_000);
    const started = performance.now();
    await expect(post().ready).rejects.toThrow(/No response headers within/);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(1_500);
    expect(client.stats().inFlight).toBe(0);
  });

  it('keeps track of many answers ending in any order, and aborts only the one past its deadline', async () => {
    const waiting: http.ServerResponse[] = [];
    handler = (req, res) => {
      if (req.headers['x-never']) return; // this one is never answered
      waiting.push(res);
      if (waiting.length === 5) for (const r of waiting.reverse()) r.end('ok');
    };
    client = clientWith(400, 10_000);
    const never = client.open({ method: 'POST', path: '/x', headers: { 'x-never': '1' }, body: '{}' });
    const others = Array.from({ length: 5 }, () => post());
    expect(client.stats().inFlight).toBe(6);
    const texts = await Promise.all(others.map(async (o) => (await o.ready).text()));
    expect(texts).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(client.stats().inFlight).toBe(1);
    await expect(never.ready).rejects.toThrow(/No response headers within/);
    expect(client.stats().inFlight).toBe(0);
  });

  it('releases a request still queued for a pool connection at its headers deadline, not when a connection frees', async () => {
    handler = (req, res) => {
      // The first request holds the only connection: headers at once, then a chunk every 100 ms.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write('data: {}\n\n'), 100);
      res.on('close', () => clearInterval(timer));
    };
    const { port } = server.address() as AddressInfo;
    client = new UpstreamClient({
      upstreamBaseUrl: `http://127.0.0.1:${port}/backend-api`,
      upstreamConnections: 1,
      upstreamHeadersTimeoutMs: 300,
      upstreamIdleTimeoutMs: 10_000,
    } as Settings);
    const holding = await post().ready;
    void holding.forEach(() => undefined).catch(() => undefined);
    const started = performance.now();
    await expect(post().ready).rejects.toThrow(/No response headers within/);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(client.stats().inFlight).toBe(1);
    holding.destroy();
  });

  it('aborts an answer that goes quiet for the idle deadline (300 ms) mid-body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: response.created\ndata: {}\n\n');
    };
    client = clientWith(10_000, 300);
    const response = await post().ready;
    const seen: string[] = [];
    await expect(response.forEach((chunk) => void seen.push(chunk.toString()))).rejects.toThrow(/Nothing received for/);
    expect(seen.join('')).toContain('response.created');
    expect(client.stats().inFlight).toBe(0);
  });

  it('keeps a slow but steady answer (a chunk every 100 ms for 1 s, idle deadline 300 ms)', async () => {
    handler = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 10; i++) {
        res.write(`data: ${i}\n\n`);
        await sleep(100);
      }
      res.end();
    };
    client = clientWith(10_000, 300);
    const response = await post().ready;
    let chunks = 0;
    await response.forEach(() => void chunks++);
    expect(chunks).toBeGreaterThanOrEqual(10);
  });

  it('does not cut off an answer its consumer paused (that is the stall timeout), however long', async () => {
    let finish!: () => void;
    handler = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      // After the consumer is reading (a chunk before that is not paused on).
      await sleep(100);
      res.write('data: first\n\n');
      finish = () => res.end('data: last\n\n');
    };
    client = clientWith(10_000, 200);
    const response = await post().ready;
    const seen: string[] = [];
    const body = response.forEach((chunk) => {
      seen.push(chunk.toString());
      return false; // the client is slow: pause after every chunk
    });
    await sleep(900);
    expect(client.stats().inFlight).toBe(1);
    finish();
    response.resume();
    await sleep(50);
    response.resume();
    await body;
    expect(seen.join('')).toContain('last');
    expect(client.stats().inFlight).toBe(0);
  });
});
