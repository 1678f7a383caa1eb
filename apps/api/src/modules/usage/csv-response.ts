// Streams CSV lines to the raw response as they are produced: a large export never sits in
// memory, and a client that goes away stops the database reads at the next batch.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

const CHUNK_CHARS = 64 * 1024;

/** Resolves on drain or close, and removes both listeners either way. */
function drained(raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
}

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
  // The header line goes out at once, so the download starts before the first query returns.
  let first = true;
  try {
    for await (const line of lines) {
      if (raw.destroyed) return;
      chunk += line;
      if (chunk.length >= CHUNK_CHARS || first) {
        first = false;
        const ok = raw.write(chunk);
        chunk = '';
        if (!ok) await drained(raw);
      }
    }
    raw.end(chunk);
  } catch (error) {
    // Headers are gone already: cutting the stream is the only honest signal left.
    raw.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
