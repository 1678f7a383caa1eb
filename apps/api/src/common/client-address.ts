// The client's address, decided one way for every consumer: Fastify's request.ip (so the login
// throttle and session rows), and the proxy's request logs. X-Forwarded-For is read from the
// right and only through hops CODEX_LB_TRUST_PROXY trusts, so a header the client wrote itself
// is never taken for its address unless a trusted proxy vouched for it.
import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { TrustProxy } from '../config/settings';

export type TrustFunction = (address: string, hop: number) => boolean;

export function trustFunction(setting: TrustProxy): TrustFunction {
  switch (setting.kind) {
    case 'none':
      return () => false;
    case 'hops':
      return (_address, hop) => hop < setting.hops;
    case 'addresses':
      return proxyAddr.compile(setting.addresses);
  }
}

/** The nearest untrusted address: the socket's peer when that peer is not a trusted proxy. */
export function clientAddress(request: IncomingMessage, trust: TrustFunction): string | null {
  const peer = request.socket?.remoteAddress;
  if (!peer) return null;
  // No forwarding header: the chain is the peer alone (what proxy-addr would answer, without
  // parsing anything).
  if (request.headers['x-forwarded-for'] === undefined) return peer;
  const chain = proxyAddr.all(request, trust);
  return chain[chain.length - 1] ?? null;
}
