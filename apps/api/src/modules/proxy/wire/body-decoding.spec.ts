// The streaming body decoder against zlib's one-shot decoders (the oracle), on every way the
// compressed bytes may be split into chunks, with generated bodies.
import fc from 'fast-check';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { createBodyDecoder } from './body-decoding';

function decode(encoding: string, chunks: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const decoder = createBodyDecoder(encoding, {
      data: (chunk) => out.push(Buffer.from(chunk)),
      end: () => resolve(Buffer.concat(out)),
      error: reject,
    });
    if (!decoder) return resolve(Buffer.concat(chunks));
    for (const chunk of chunks) decoder.write(chunk);
    decoder.end();
  });
}

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(buf.subarray(at, p));
    at = p;
  }
  out.push(buf.subarray(at));
  return out.filter((c) => c.length > 0);
}

/** A zstd frame of raw blocks (no compressor needed): the decoder must handle any framing. */
function zstdRaw(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])];
  const block = 128 * 1024;
  for (let at = 0; at < data.length || at === 0; at += block) {
    const piece = data.subarray(at, at + block);
    const last = at + block >= data.length;
    const value = (last ? 1 : 0) | (piece.length << 3);
    parts.push(Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff]), piece);
    if (last) break;
  }
  return Buffer.concat(parts);
}

const ENCODERS: [string, (b: Buffer) => Buffer][] = [
  ['gzip', gzipSync],
  ['deflate', deflateSync],
  ['deflate', deflateRawSync],
  ['br', brotliCompressSync],
  ['zstd', zstdRaw],
];

describe('createBodyDecoder', () => {
  it.each(ENCODERS)('decodes %s split anywhere into chunks', async (encoding, encode) => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 4000 }), fc.array(fc.nat(), { maxLength: 8 }), async (text, cuts) => {
        const body = Buffer.from(JSON.stringify({ input: text }));
        const decoded = await decode(encoding, split(encode(body), cuts));
        expect(decoded.equals(body)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('decodes a zstd frame of more than one block', async () => {
    const body = Buffer.alloc(300 * 1024, 'a');
    expect((await decode('zstd', [zstdRaw(body)])).equals(body)).toBe(true);
  });

  it('passes identity through, refuses other encodings, and fails bytes that do not decode', async () => {
    expect(createBodyDecoder(undefined, { data: () => {}, end: () => {}, error: () => {} })).toBeNull();
    expect(createBodyDecoder('identity', { data: () => {}, end: () => {}, error: () => {} })).toBeNull();
    expect(() => createBodyDecoder('compress', { data: () => {}, end: () => {}, error: () => {} })).toThrow(
      /not supported/,
    );
    await expect(decode('gzip', [Buffer.from('not gzip')])).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(decode('zstd', [Buffer.from('not zstd at all')])).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
