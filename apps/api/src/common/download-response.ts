// Streams a download (CSV request logs, NDJSON audit events) to the raw response piece by piece as
// it is produced: a large export never sits in memory, and a client that goes away stops the
// database reads at the next batch.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

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

export async function sendDownload(
  reply: FastifyReply,
  contentType: string,
  filename: string,
  pieces: AsyncIterable<string>,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': contentType,
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
  });
  // A client that hangs up must stop the export at once, not after the whole range was read.
  let closed = false;
  raw.once('close', () => (closed = true));
  try {
    // One piece per database batch: the head and the first (small) batch reach the client before
    // the larger batches that follow are read.
    for await (const piece of pieces) {
      if (closed || raw.destroyed) return;
      if (!raw.write(piece)) await drained(raw);
      if (closed) return;
    }
    raw.end();
  } catch (error) {
    // Headers are gone already: cutting the stream is the only honest signal left.
    raw.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
