// Complete JSON answers on Node's own response (the proxy routes skip Fastify's reply).
import type { ServerResponse } from 'node:http';

/** A complete JSON answer, with its length and the request id. */
export function sendJson(res: ServerResponse, status: number, payload: unknown, requestId: string): void {
  sendJsonText(res, status, JSON.stringify(payload), requestId);
}

/** sendJson for a payload already serialized. */
export function sendJsonText(res: ServerResponse, status: number, text: string, requestId: string): void {
  writeJsonHead(res, status, text, requestId);
  res.end(text);
}

/** The head of a JSON answer whose body is `text` (sent with the body's first write). */
export function writeJsonHead(res: ServerResponse, status: number, text: string, requestId: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
  });
}
