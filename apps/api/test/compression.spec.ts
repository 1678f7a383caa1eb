// Compressed request bodies on the proxy routes: gzip, deflate (zlib and raw), br and zstd are
// decoded before the body is read, the decoded size is bounded by the body limit (a bomb is a 413,
// quickly and without holding more than the limit), and an unknown encoding is a 415.
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { addAccount, codexBody, createKey, startWorld, type World } from './support/proxy-world';

/** codexBody('hello from a zstd body') with prompt_cache_key "pck-zstd", compressed by zstd -19. */
const ZSTD_BODY =
  'KLUv/WQcAOUFAMJNJxlwrQ5A0lASVMgoiBCwZwkAgmBVkUUKqJ4Q1ZOmE+BA+XZpHbcMfNC1fHjKs62z25+3cyc3PVsanxKfixvjm0+enbu+ty9s' +
  'mIHOaKeRuc+O6qguJYyspOm03np4KotjXObt7B1tO2gbYnj2ubRGnmff5VG6z9tXSn3KaO8qA2LtfKty8XYKcdOwzqZQc/ZoE4aAEAxAy+XtcRN+' +
  'TgUKIBBE5QNhKQrY0Bi3SbTFF1bn+5Dw4a4Ia0ABaDUwxw==';

/**
 * A zstd frame of RLE blocks: `blocks` x 128 KiB of one byte from 4 bytes each (a zstd bomb, and a
 * frame written by hand so the spec needs no zstd encoder).
 */
function zstdRleFrame(blocks: number, byte = 0x20): Buffer {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]); // magic, no size, 128 KiB window
  const block = (last: boolean) => {
    const size = 128 * 1024;
    const value = (last ? 1 : 0) | (1 << 1) | (size << 3);
    return Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, byte]);
  };
  return Buffer.concat([header, ...Array.from({ length: blocks }, (_, i) => block(i === blocks - 1))]);
}

describe('proxy: compressed request bodies', () => {
  let w: World;
  let key: string;

  beforeAll(async () => {
    w = await startWorld();
    await addAccount(w, w.alice.cookie, 'compressed@example.com');
    key = (await createKey(w, w.alice.cookie)).key;
  });
  afterAll(() => w.close());

  const post = (body: Buffer, encoding: string, path = '/backend-api/codex/responses') =>
    request(`${w.app.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'content-encoding': encoding,
        accept: 'text/event-stream',
      },
      body,
    });

  const lastInputText = () => {
    const sent = w.fake.requests[w.fake.requests.length - 1];
    const body = sent.body as { input: { content: { text: string }[] }[] };
    return { text: body.input[0].content[0].text, encoding: sent.headers['content-encoding'] };
  };

  it.each([
    ['gzip', (b: Buffer) => gzipSync(b)],
    ['deflate', (b: Buffer) => deflateSync(b)],
    ['deflate', (b: Buffer) => deflateRawSync(b)],
    ['br', (b: Buffer) => brotliCompressSync(b)],
  ])('decodes a %s body before reading it', async (encoding, compress) => {
    const text = `hello ${encoding} ${Math.random()}`;
    const response = await post(compress(Buffer.from(JSON.stringify(codexBody(text)))), encoding);
    expect(response.statusCode).toBe(200);
    expect(await response.body.text()).toContain('response.completed');
    expect(lastInputText()).toEqual({ text, encoding: undefined });
  });

  it('decodes a zstd body (as Codex sends it), on /v1/responses too', async () => {
    const codex = await post(Buffer.from(ZSTD_BODY, 'base64'), 'zstd');
    expect(codex.statusCode).toBe(200);
    expect(await codex.body.text()).toContain('response.completed');
    expect(lastInputText().text).toBe('hello from a zstd body');

    const v1 = await post(Buffer.from(ZSTD_BODY, 'base64'), 'zstd', '/v1/responses');
    expect(v1.statusCode).toBe(200);
    await v1.body.text();
    expect(lastInputText().text).toBe('hello from a zstd body');
  });

  it('decodes a zstd body written as raw-byte RLE blocks', async () => {
    // A JSON body whose input text is followed by 256 KiB of spaces, as RLE blocks after a raw block.
    const head = Buffer.from(JSON.stringify(codexBody('rle body')));
    const raw = (data: Buffer) => {
      const value = (data.length << 3) | 0; // raw block, not last
      return Buffer.concat([Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff]), data]);
    };
    const frame = Buffer.concat([
      zstdRleFrame(0).subarray(0, 6),
      raw(head),
      zstdRleFrame(2, 0x20).subarray(6), // trailing whitespace after the object is valid JSON
    ]);
    const response = await post(frame, 'zstd');
    expect(response.statusCode).toBe(200);
    await response.body.text();
    expect(lastInputText().text).toBe('rle body');
  });

  it('refuses a gzip bomb with 413 as soon as the decoded size passes the limit, in bounded memory', async () => {
    // 16 gzip members of 64 MiB of zeros: 1 GiB decoded from about 1 MiB.
    const member = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => member));
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const response = await post(bomb, 'gzip');
    expect(response.statusCode).toBe(413);
    expect(((await response.body.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    expect(Date.now() - started).toBeLessThan(10_000);
    // The limit is 32 MiB: decoding all of it would have taken a GiB.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
  });

  it('refuses a zstd bomb with 413 in bounded memory', async () => {
    const bomb = zstdRleFrame(8 * 1024); // 1 GiB decoded from 32 KiB
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const response = await post(bomb, 'zstd');
    expect(response.statusCode).toBe(413);
    await response.body.text();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
  });

  it('answers 415 for an encoding it does not decode and 400 for a body that does not decode', async () => {
    const unknown = await post(Buffer.from('{}'), 'compress');
    expect(unknown.statusCode).toBe(415);
    expect(((await unknown.body.json()) as { error: { message: string } }).error.message).toMatch(/compress/);

    const corrupt = await post(Buffer.from('not gzip at all'), 'gzip');
    expect(corrupt.statusCode).toBe(400);
    await corrupt.body.text();
    const corruptZstd = await post(Buffer.from('not zstd at all'), 'zstd');
    expect(corruptZstd.statusCode).toBe(400);
    await corruptZstd.body.text();
  });
});
