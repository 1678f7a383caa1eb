// Small helpers over node:http: body reading, JSON answers, form/JSON parsing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, { detail: 'Request body too large' }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      try {
        resolve(decodeBody(raw, req.headers['content-encoding']));
      } catch (error) {
        reject(new HttpError(400, { detail: `Could not decode the body: ${(error as Error).message}` }));
      }
    });
    req.on('error', reject);
  });
}

/** The upstream accepts compressed bodies as Codex sends them (zstd) and gzip, deflate, br. */
export function decodeBody(raw: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case '':
    case 'identity':
      return raw;
    case 'gzip':
      return gunzipSync(raw);
    case 'deflate':
      return inflateSync(raw);
    case 'br':
      return brotliDecompressSync(raw);
    case 'zstd':
      return Buffer.from(zstdDecompress(raw));
    default:
      throw new Error(`unsupported content-encoding ${encoding}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** JSON bodies parse as JSON; anything else is tried as a form. Returns null when unparsable. */
export function parseJsonOrForm(raw: Buffer, contentType: string | undefined): Record<string, unknown> | null {
  const text = raw.toString('utf8');
  const isForm = (contentType ?? '').includes('application/x-www-form-urlencoded');
  if (!isForm) {
    const parsed = parseJsonObject(text);
    if (parsed) return parsed;
  }
  if (!text.includes('=')) return isForm ? {} : null;
  return Object.fromEntries(new URLSearchParams(text));
}

export function parseJsonObject(text: string): Record<string, unknown> | null {
  if (text.length === 0) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function bearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match ? match[1].trim() : null;
}
