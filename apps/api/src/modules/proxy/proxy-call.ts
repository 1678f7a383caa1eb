// One proxied HTTP request as the route handlers see it: Node's own request headers and response,
// the body's bytes, and the request id and client address the gateway assigned.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

export interface ProxyCall {
  /** A uuid, sent back as x-request-id and stored in the request log. */
  id: string;
  headers: IncomingHttpHeaders;
  /** The raw body (POST routes), or null. */
  body: Buffer | null;
  /** The query string, without its '?' ('' when there is none). */
  search: string;
  /** The client's address (the X-Forwarded-For client when CODEX_LB_TRUST_PROXY is on). */
  ip: string | null;
  res: ServerResponse;
}

/** A complete JSON answer, with its length and the request id. */
export function sendJson(res: ServerResponse, status: number, payload: unknown, requestId: string): void {
  sendJsonText(res, status, JSON.stringify(payload), requestId);
}

/** sendJson for a payload already serialized. */
export function sendJsonText(res: ServerResponse, status: number, text: string, requestId: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
  });
  res.end(text);
}
