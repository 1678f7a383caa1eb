// A recording pass-through between the gateway and the fake upstream, so a spec can compare the
// bytes the upstream sent with the bytes the client received.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

export interface Tap {
  url: string;
  responses: Buffer[];
  close(): Promise<void>;
}

export async function startTap(target: string): Promise<Tap> {
  const responses: Buffer[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = { ...req.headers };
    delete headers.host;
    delete headers['content-length'];
    try {
      const upstream = await request(`${target}${req.url}`, {
        method: req.method as 'GET' | 'POST',
        headers: headers as Record<string, string>,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const outHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(upstream.headers)) {
        if (
          name !== 'content-length' &&
          name !== 'transfer-encoding' &&
          name !== 'connection' &&
          name !== 'keep-alive'
        ) {
          outHeaders[name] = String(value);
        }
      }
      res.writeHead(upstream.statusCode, outHeaders);
      const seen: Buffer[] = [];
      for await (const chunk of upstream.body) {
        seen.push(chunk as Buffer);
        res.write(chunk);
      }
      responses.push(Buffer.concat(seen));
      res.end();
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    responses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
