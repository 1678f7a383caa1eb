// Preloaded into the dashboard's server (`node -r ./client-address.cjs next start`, as
// scripts/start.mjs and docker-compose.yml run it) so the API can throttle sign-ins per browser.
//
// Every /api request reaches the API from this server, so the API would see one address for
// everyone. Next 16 sets X-Forwarded-For on an incoming request only when it is absent
// (base-server: `req.headers['x-forwarded-for'] ??= socket.remoteAddress`), so a browser's own
// header would pass through, and route handlers cannot see the socket. Here, before Next sees the
// request, the header is replaced by the one address this server vouches for:
// - CODEX_LB_WEB_TRUST_PROXY unset or 0: the address of the connection (nothing in front);
// - N: N proxies in front each appended what they saw; the address N hops back is the client.
// The API trusts this server's hop (CODEX_LB_TRUST_PROXY, loopback by default) and nothing else.
// app/api/[...path]/route.ts forwards the header only when this module ran (the mark below).
'use strict';

const http = require('node:http');

const MARK = Symbol.for('codex-lb.client-address');
const HEADER = 'x-forwarded-for';

function trustedHops() {
  const raw = (process.env.CODEX_LB_WEB_TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false') return 0;
  if (!/^\d+$/.test(raw) || Number(raw) > 10) {
    throw new Error(`Invalid setting CODEX_LB_WEB_TRUST_PROXY: expected a hop count from 0 to 10, got "${raw}"`);
  }
  return Number(raw);
}

function plain(address) {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The client address: the connection's peer, or the entry `hops` back in the forwarded chain. */
function clientAddress(request, hops) {
  const peer = request.socket?.remoteAddress ?? '';
  if (hops === 0) return plain(peer);
  const header = request.headers[HEADER];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const all = [...chain, peer];
  return plain(all[Math.max(0, all.length - 1 - hops)]);
}

if (!globalThis[MARK]) {
  const hops = trustedHops();
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function emitWithClientAddress(event, request, ...rest) {
    if (event === 'request' && request && request.headers) {
      const address = clientAddress(request, hops);
      if (address) request.headers[HEADER] = address;
      else delete request.headers[HEADER];
    }
    return emit.call(this, event, request, ...rest);
  };
  globalThis[MARK] = true;
}

module.exports = { clientAddress };
