// Streams NDJSON to the raw response as it is produced, so a large export never sits in memory
// and a client that goes away stops the reads at the next batch.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

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

export async function sendNdjson(reply: FastifyReply, filename: string, pieces: AsyncIterable<string>): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
  });
  let closed = false;
  raw.once('close', () => (closed = true));
  try {
    for await (const piece of pieces) {
      if (closed || raw.destroyed) return;
      if (!raw.write(piece)) await drained(raw);
      if (closed) return;
    }
    raw.end();
  } catch (error) {
    raw.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
