import fc from 'fast-check';
import { blockData, eventLine, MAX_EVENT_BYTES, SseFrames, singleDataLine } from './sse-frames';

/** Blocks handed over with their first line end and line count (see BlockHandler). */
let known = 0;

/**
 * Feeds `bytes` in the given piece sizes (cycled) and collects the blocks, end() included. The
 * line facts handed with a block, when known, must be the block's own.
 */
function blocksOf(bytes: Buffer, sizes: number[] = [bytes.length || 1]): string[] {
  const frames = new SseFrames();
  const out: string[] = [];
  const onBlock = (buf: Buffer, start: number, end: number, firstLineEnd: number, lines: number) => {
    const text = buf.toString('latin1', start, end);
    if (firstLineEnd !== -1) {
      known++;
      const lf = text.indexOf('\n');
      expect(firstLineEnd).toBe(lf === -1 ? end : start + lf);
      expect(lines).toBe(text.split('\n').length);
    } else {
      expect(lines).toBe(0);
    }
    out.push(buf.toString('utf8', start, end));
  };
  let k = 0;
  for (let i = 0; i < bytes.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length]);
    frames.push(bytes.subarray(i, i + size), onBlock);
    i += size;
  }
  frames.end(onBlock);
  return out;
}

/**
 * The reference: the SSE spec's line splitting on the whole text at once (CRLF, CR and LF all end
 * a line), blocks being runs of non-empty lines, the last one handed over at the end.
 */
function referenceBlocks(text: string): string[] {
  const lines = text.replace(/\r\n|\r/g, '\n').split('\n');
  const blocks: string[] = [];
  let block: string[] = [];
  lines.forEach((line, i) => {
    if (line !== '') block.push(line);
    else if (i < lines.length - 1 && block.length > 0) {
      blocks.push(block.join('\n'));
      block = [];
    }
  });
  if (block.length > 0) blocks.push(block.join('\n'));
  return blocks;
}

describe('SseFrames', () => {
  const events = [
    'event: response.created\ndata: {"type":"response.created"}',
    'event: response.output_text.delta\ndata: {"delta":"a é ☃"}',
    ': a comment\ndata: {"type":"x"}\ndata: {"more":1}',
  ];

  it('splits LF, CRLF and CR framing into the same blocks, with LF line ends', () => {
    const lf = `${events.join('\n\n')}\n\n`;
    for (const text of [lf, lf.replace(/\n/g, '\r\n'), lf.replace(/\n/g, '\r')]) {
      for (const size of [1, 2, 3, 7, 64, 100_000]) expect(blocksOf(Buffer.from(text), [size])).toEqual(events);
    }
    // Mixed line ends within one stream, and a CRLF split between chunks.
    const mixed = `${events[0].replace('\n', '\r\n')}\r\n\r\n${events[1]}\n\r${events[2].replace(/\n/g, '\r')}\r\r`;
    expect(blocksOf(Buffer.from(mixed), [1])).toEqual(events);
    expect(blocksOf(Buffer.from('data: 1\r'), [8])).toEqual(['data: 1']);
    expect(blocksOf(Buffer.from('data: 1\r\n\r\ndata: 2\r\n\r\n'), [8, 1, 1, 1])).toEqual(['data: 1', 'data: 2']);
  });

  it('hands over the first line end and line count of each block within one chunk, LF-framed', () => {
    known = 0;
    const text = `${events.join('\n\n')}\n\nevent: x\ndata: 1\ndata: 2\n\ndata: only\n\n`;
    expect(blocksOf(Buffer.from(text))).toEqual(referenceBlocks(text));
    expect(known).toBe(events.length + 2);
    // Split or CR-framed blocks are handed over without them (checked in blocksOf).
    known = 0;
    blocksOf(Buffer.from(text.replace(/\n/g, '\r\n')));
    blocksOf(Buffer.from(text), [7]);
    expect(known).toBeLessThan(events.length + 2);
  });

  it('skips blank lines between and before blocks, and hands over an unterminated last block at the end', () => {
    expect(blocksOf(Buffer.from('\n\n\r\ndata: a\n\n\n\n\ndata: b\n'))).toEqual(['data: a', 'data: b']);
    expect(blocksOf(Buffer.from('data: tail'), [3])).toEqual(['data: tail']);
    expect(blocksOf(Buffer.from(''))).toEqual([]);
  });

  it('reads the event line, single data line and joined data of CRLF blocks as of LF ones', () => {
    const read = (text: string) => {
      const [block] = (() => {
        const out: [Buffer, number, number][] = [];
        const frames = new SseFrames();
        frames.push(Buffer.from(text), (buf, start, end) => out.push([buf, start, end]));
        return out;
      })();
      const [buf, start, end] = block;
      const line = eventLine(buf, start, end)!;
      return {
        name: buf.toString('utf8', line.name[0], line.name[1]),
        single: singleDataLine(buf, line.lineEnd, end)?.toString(),
        data: blockData(buf, start, end),
      };
    };
    const lf = read('event: response.completed\ndata: {"a":1}\n\n');
    expect(lf).toEqual({
      name: 'response.completed',
      single: ' {"a":1}',
      data: { name: 'response.completed', data: '{"a":1}' },
    });
    expect(read('event: response.completed\r\ndata: {"a":1}\r\n\r\n')).toEqual(lf);
    expect(read('event: response.completed\rdata: {"a":1}\r\r')).toEqual(lf);
    expect(blockData(Buffer.from('data: {"a":\ndata: 1}'), 0, 20).data).toBe('{"a":\n1}');
  });

  it('drops one event larger than its bound up to its blank line, and goes on with the next', () => {
    const frames = new SseFrames();
    const out: string[] = [];
    const onBlock = (buf: Buffer, start: number, end: number) =>
      out.push(buf.toString('utf8', start, Math.min(end, start + 10)));
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    frames.push('data: ', onBlock);
    for (let i = 0; i <= MAX_EVENT_BYTES / piece.length; i++) frames.push(piece, onBlock);
    frames.push('\n\ndata: next\n\n', onBlock);
    expect(out).toEqual(['data: next']);
    expect(frames.dropped).toBe(1);
  });

  it('handles a multi-megabyte event in 64-byte chunks in linear time (4 MB within 32x of 0.5 MB)', () => {
    const timeFor = (megabytes: number): number => {
      const data = `event: response.completed\ndata: {"response":{"text":"${'x'.repeat(megabytes * 1024 * 1024)}"}}\n\n`;
      const bytes = Buffer.from(data);
      const frames = new SseFrames();
      let seen = 0;
      const started = process.hrtime.bigint();
      for (let i = 0; i < bytes.length; i += 64) {
        frames.push(bytes.subarray(i, i + 64), (buf, start, end) => {
          seen += end - start;
        });
      }
      const elapsed = Number(process.hrtime.bigint() - started);
      expect(seen).toBe(bytes.length - 2);
      return elapsed;
    };
    // Warm-up at both sizes, then the best of five runs each, so a busy machine's pauses and the
    // allocator's first touch of fresh pages do not count.
    timeFor(0.25);
    timeFor(4);
    const best = (megabytes: number): number => Math.min(...[1, 2, 3, 4, 5].map(() => timeFor(megabytes)));
    const half = best(0.5);
    const four = best(4);
    // Linear: about 8x. Quadratic would be about 64x (and take minutes); 32x leaves room for a
    // machine busy with other work.
    expect(four / half).toBeLessThan(32);
    // A 5 MB terminal event, parsed whole.
    const five = JSON.stringify({
      type: 'response.completed',
      response: { usage: { input_tokens: 1 }, t: 'y'.repeat(5 << 20) },
    });
    const blocks = blocksOf(Buffer.from(`event: response.completed\r\ndata: ${five}\r\n\r\n`), [64]);
    expect(blocks).toHaveLength(1);
    expect(JSON.parse(blockData(Buffer.from(blocks[0]), 0, Buffer.byteLength(blocks[0])).data)).toEqual(
      JSON.parse(five),
    );
  });

  it('agrees with a reference splitter on generated streams, LF/CRLF/CR framing and random chunking', () => {
    const lineText = fc
      .string({
        unit: fc.constantFrom('a', 'b', ':', ' ', 'é', '☃', '{', '"', 'd', 'e', 't'),
        minLength: 1,
        maxLength: 12,
      })
      .filter((s) => s.length > 0);
    const ending = fc.constantFrom('\n', '\r\n', '\r');
    const block = fc.array(fc.tuple(lineText, ending), { minLength: 1, maxLength: 4 });
    const stream = fc.tuple(
      fc.array(fc.tuple(block, fc.array(ending, { minLength: 1, maxLength: 2 })), { maxLength: 6 }),
      fc.boolean(),
    );
    fc.assert(
      fc.property(
        stream,
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
        ([blocks, leading], sizes) => {
          let text = leading ? '\r\n' : '';
          for (const [lines, blank] of blocks) text += lines.map(([line, end]) => line + end).join('') + blank.join('');
          expect(blocksOf(Buffer.from(text), sizes)).toEqual(referenceBlocks(text));
        },
      ),
      { numRuns: 400 },
    );
  });
});
