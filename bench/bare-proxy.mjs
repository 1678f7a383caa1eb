// The limit: a pass-through proxy with no auth, no parsing, no accounting. It reads the client's
// body, sends it to the upstream over a keep-alive undici Pool with one fixed seat's token and
// account id, and streams the answer back chunk by chunk.
// Env: BARE_PORT, BARE_UPSTREAM (origin, e.g. http://127.0.0.1:1456), BARE_TOKEN, BARE_ACCOUNT_ID.
import { once } from 'node:events';
import http from 'node:http';
import { Pool } from 'undici';

const upstream = new Pool(process.env.BARE_UPSTREAM, { connections: 128, pipelining: 1 });
const token = `Bearer ${process.env.BARE_TOKEN}`;
const accountId = process.env.BARE_ACCOUNT_ID;
const PASS = [
  'session_id',
  'session-id',
  'thread-id',
  'x-client-request-id',
  'x-codex-window-id',
  'x-codex-turn-metadata',
  'x-codex-beta-features',
  'originator',
  'user-agent',
];

const server = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const headers = {
      authorization: token,
      'chatgpt-account-id': accountId,
      'content-type': 'application/json',
      accept: req.headers.accept ?? 'text/event-stream',
    };
    for (const name of PASS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const path = req.url.startsWith('/backend-api/') ? req.url : `/backend-api/codex${req.url}`;
    const up = await upstream.request({ method: 'POST', path, headers, body: Buffer.concat(chunks) });
    res.writeHead(up.statusCode, {
      'content-type': String(up.headers['content-type'] ?? 'text/event-stream'),
      'cache-control': 'no-cache',
    });
    for await (const chunk of up.body) {
      if (!res.write(chunk)) await once(res, 'drain');
    }
    res.end();
  } catch (err) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: String(err), type: 'server_error', code: null, param: null } }));
  }
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.BARE_PORT), '127.0.0.1', () => {
  process.stdout.write(`bare proxy listening on ${server.address().port}\n`);
});
const stop = () => {
  server.close();
  void upstream.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
