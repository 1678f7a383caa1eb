// Answers on the raw socket of an upgrade that is refused: the HTTP status and OpenAI's error
// envelope, as the same error would be answered over HTTP (a client maps it like any other).
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { normalizeError, openAiErrorBody } from '../../../common/http-exception.filter';

export function refuseUpgrade(socket: Duplex, exception: unknown, requestId: string): number {
  const error = normalizeError(exception, 'GET', '');
  const text = JSON.stringify(openAiErrorBody(error));
  const headers = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(text)}`,
    `x-request-id: ${requestId}`,
    'connection: close',
    ...Object.entries(error.headers).map(([name, value]) => `${name}: ${value}`),
  ];
  if (error.status === 426) headers.push('upgrade: websocket');
  if (socket.writable) socket.end(`${headers.join('\r\n')}\r\n\r\n${text}`);
  else socket.destroy();
  // A client that does not close its end is not waited on.
  setTimeout(() => socket.destroy(), 1_000).unref();
  return error.status;
}

/** The error frame a Codex client maps to an HTTP error (status and OpenAI's error object). */
export function errorFrame(exception: unknown): string {
  const error = normalizeError(exception, 'GET', '');
  return JSON.stringify({ type: 'error', status: error.status, ...openAiErrorBody(error) });
}
