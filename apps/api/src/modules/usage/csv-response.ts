// Streams CSV lines to the raw response as they are produced: a large export never sits in
// memory, and a client that goes away stops the database reads at the next batch.
import { once } from 'node:events';
import type { FastifyReply } from 'fastify';

const CHUNK_CHARS = 64 * 1024;

export async function sendCsv(reply: FastifyReply, filename: string, lines: AsyncIterable<string>): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
  });
  let chunk = '';
  try {
    for await (const line of lines) {
      if (raw.destroyed) return;
      chunk += line;
      if (chunk.length >= CHUNK_CHARS) {
        const ok = raw.write(chunk);
        chunk = '';
        if (!ok) await Promise.race([once(raw, 'drain'), once(raw, 'close')]);
      }
    }
    raw.end(chunk);
  } catch (error) {
    // Headers are gone already: cutting the stream is the only honest signal left.
    raw.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
