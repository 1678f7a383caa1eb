// The OAuth redirect listener. The registered redirect URI is http://localhost:1455/auth/callback
// and cannot change, so a small HTTP server answers on that port while browser flows are pending
// and hands the code to the OAuth service.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type CallbackHandler = (params: URLSearchParams) => Promise<{ ok: boolean; message: string }>;

function page(title: string, message: string): string {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2937}</style>
</head><body><h1>${escape(title)}</h1><p>${escape(message)}</p></body></html>`;
}

export class CallbackServer {
  private server: Server | null = null;
  private starting: Promise<number> | null = null;

  constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly handler: CallbackHandler,
  ) {}

  get listeningPort(): number | null {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address ? address.port : null;
  }

  ensureStarted(): Promise<number> {
    if (this.listeningPort !== null) return Promise.resolve(this.listeningPort);
    if (this.starting) return this.starting;
    this.starting = new Promise<number>((resolve, reject) => {
      const server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (req.method !== 'GET' || url.pathname !== '/auth/callback') {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
          return;
        }
        this.handler(url.searchParams).then(
          ({ ok, message }) => {
            res
              .writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
              .end(page(ok ? 'Account added' : 'Sign-in failed', message));
          },
          () => {
            res
              .writeHead(500, { 'content-type': 'text/html; charset=utf-8' })
              .end(page('Sign-in failed', 'Try again.'));
          },
        );
      });
      server.once('error', (error) => {
        this.starting = null;
        reject(error);
      });
      server.listen(this.port, this.host, () => {
        this.server = server;
        this.starting = null;
        resolve((server.address() as AddressInfo).port);
      });
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
