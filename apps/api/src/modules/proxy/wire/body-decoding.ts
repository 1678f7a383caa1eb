// Compressed request bodies (Content-Encoding gzip, deflate, br, zstd): Codex sends zstd when it
// talks to an OpenAI-named provider, other clients gzip or deflate. The decoder is fed the raw
// chunks as they arrive and hands on decoded chunks; the reader counts them against the body limit
// and destroys the decoder the moment the limit is passed, so a decompression bomb costs at most
// the limit in memory and is refused as soon as it shows. Node 20's zlib has no zstd: fzstd is a
// pure JavaScript decoder (no native build, nothing fetched at install).
import { Decompress as ZstdDecompress } from 'fzstd';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw, type Gunzip } from 'node:zlib';
import { ApiError } from '../../../common/api-error';

export interface DecodedSink {
  data(chunk: Buffer): void;
  end(): void;
  error(error: Error): void;
}

export interface BodyDecoder {
  write(chunk: Buffer): void;
  end(): void;
  /** Stops decoding (the reader gave up: limit passed, client gone); nothing more is handed on. */
  destroy(): void;
}

export const SUPPORTED_ENCODINGS = ['gzip', 'x-gzip', 'deflate', 'br', 'zstd'];

/** Decoded output is handed on in pieces of at most this size (zlib's default chunk size). */
const CHUNK = 16 * 1024;

export function unsupportedEncoding(encoding: string): ApiError {
  return new ApiError(
    415,
    'unsupported_content_encoding',
    `Content-Encoding "${encoding.slice(0, 40)}" is not supported; send identity, gzip, deflate, br or zstd.`,
  );
}

export function invalidEncoding(encoding: string, error: Error): ApiError {
  return new ApiError(400, 'invalid_request', `The ${encoding} request body could not be decoded (${error.message}).`);
}

/**
 * A decoder for the Content-Encoding header's value, or null when the body is not encoded
 * (absent, empty or identity). Throws a 415 for an encoding the gateway does not decode.
 */
export function createBodyDecoder(header: string | string[] | undefined, sink: DecodedSink): BodyDecoder | null {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (value === '' || value === 'identity') return null;
  switch (value) {
    case 'gzip':
    case 'x-gzip':
      return zlibDecoder(() => createGunzip({ chunkSize: CHUNK }), value, sink);
    case 'deflate':
      return deflateDecoder(sink);
    case 'br':
      return zlibDecoder(() => createBrotliDecompress({ chunkSize: CHUNK }), value, sink);
    case 'zstd':
      return zstdDecoder(sink);
    default:
      throw unsupportedEncoding(value);
  }
}

function zlibDecoder(
  create: () => Gunzip | ReturnType<typeof createBrotliDecompress>,
  name: string,
  sink: DecodedSink,
) {
  const stream = create();
  let stopped = false;
  stream.on('data', (chunk: Buffer) => {
    if (!stopped) sink.data(chunk);
  });
  stream.once('end', () => {
    if (!stopped) sink.end();
  });
  stream.on('error', (error: Error) => {
    if (stopped) return;
    stopped = true;
    sink.error(invalidEncoding(name, error));
  });
  return {
    write: (chunk: Buffer) => {
      if (!stopped) stream.write(chunk);
    },
    end: () => {
      if (!stopped) stream.end();
    },
    destroy: () => {
      stopped = true;
      stream.destroy();
    },
  };
}

/**
 * HTTP's "deflate" is the zlib format, but some clients send raw deflate: the first two bytes
 * tell them apart (a zlib header is CM 8 and a multiple of 31).
 */
function deflateDecoder(sink: DecodedSink): BodyDecoder {
  let inner: BodyDecoder | null = null;
  let head: Buffer | null = null;
  let stopped = false;
  const choose = (first: Buffer) => {
    const zlibWrapped = first.length >= 2 && (first[0] & 0x0f) === 8 && ((first[0] << 8) | first[1]) % 31 === 0;
    inner = zlibDecoder(
      () => (zlibWrapped ? createInflate({ chunkSize: CHUNK }) : createInflateRaw({ chunkSize: CHUNK })),
      'deflate',
      sink,
    );
    inner.write(first);
  };
  return {
    write: (chunk) => {
      if (stopped) return;
      if (inner) return inner.write(chunk);
      head = head ? Buffer.concat([head, chunk]) : chunk;
      if (head.length >= 2) {
        choose(head);
        head = null;
      }
    },
    end: () => {
      if (stopped) return;
      if (!inner) choose(head ?? Buffer.alloc(0));
      inner!.end();
    },
    destroy: () => {
      stopped = true;
      inner?.destroy();
    },
  };
}

/** fzstd decodes synchronously as chunks are pushed; its errors are thrown from push(). */
function zstdDecoder(sink: DecodedSink): BodyDecoder {
  let stopped = false;
  const stream = new ZstdDecompress((chunk) => {
    if (stopped || chunk.length === 0) return;
    // Large blocks are handed on in pieces, so the reader's limit check sees each one.
    for (let at = 0; at < chunk.length && !stopped; at += CHUNK * 8) {
      const piece = chunk.subarray(at, Math.min(chunk.length, at + CHUNK * 8));
      // Copied: the decoder may reuse its window's memory for later blocks.
      sink.data(Buffer.from(piece));
    }
  });
  const push = (chunk: Uint8Array, final: boolean) => {
    if (stopped) return;
    try {
      stream.push(chunk, final);
    } catch (error) {
      stopped = true;
      sink.error(invalidEncoding('zstd', error as Error));
      return;
    }
    if (final && !stopped) {
      stopped = true;
      sink.end();
    }
  };
  return {
    write: (chunk) => push(chunk, false),
    end: () => push(new Uint8Array(0), true),
    destroy: () => {
      stopped = true;
    },
  };
}
