// The WebSocket limit: a bare pass-through with no auth, no parsing, no accounting. Each client
// socket is bridged to one upstream socket on the fake upstream with one fixed seat's token and
// account id; frames are relayed as they come, and either side's close closes the other.
// Env: BARE_PORT, BARE_UPSTREAM (origin, e.g. http://127.0.0.1:1456), BARE_TOKEN, BARE_ACCOUNT_ID.
import http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

const upstreamUrl = `${process.env.BARE_UPSTREAM.replace(/^http/, 'ws')}/backend-api/codex/responses`;
const headers = {
  authorization: `Bearer ${process.env.BARE_TOKEN}`,
  'chatgpt-account-id': process.env.BARE_ACCOUNT_ID,
};
// The same compression settings as codex-lb's client side (modules/proxy/websocket/).
const DEFLATE = {
  threshold: 1024,
  serverMaxWindowBits: 11,
  clientMaxWindowBits: 11,
  zlibDeflateOptions: { memLevel: 4 },
};
const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: DEFLATE, clientTracking: false });

server.on('upgrade', (req, socket, head) => {
  // The same choices as codex-lb: deflate offered to clients, not used upstream.
  const upstream = new WebSocket(upstreamUrl, { headers, perMessageDeflate: false });
  upstream.once('open', () => {
    wss.handleUpgrade(req, socket, head, (client) => {
      client.on('message', (data, isBinary) => upstream.send(data, { binary: isBinary }));
      upstream.on('message', (data, isBinary) => client.send(data, { binary: isBinary }));
      client.on('close', () => upstream.close());
      upstream.on('close', () => client.close());
      client.on('error', () => client.terminate());
    });
  });
  upstream.on('error', () => socket.destroy());
});

server.listen(Number(process.env.BARE_PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
