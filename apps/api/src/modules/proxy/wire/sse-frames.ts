// Server-sent-event framing on bytes, shared by the stream observer and the Chat Completions
// translator: event blocks are found with indexOf, and an event's name is compared on its bytes,
// so the many events the gateway ignores (deltas, mostly) are never decoded.
//
// Lines end with LF, CRLF or a lone CR, and a blank line ends an event block (the SSE spec).
// Each byte is searched once: a block that spans chunks is gathered into one buffer that doubles
// as it fills (each byte copied about twice at most), so a multi-megabyte event in small chunks
// costs linear time and one object, not one per chunk. Blocks are handed over with LF line ends
// only (CR and CRLF rewritten, in the rare blocks that have them).

const NEWLINE = 0x0a;
const CR = 0x0d;
const EVENT_FIELD = Buffer.from('event:');
const DATA_FIELD = Buffer.from('data:');
/** One event larger than this is dropped (up to its blank line) rather than held. */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024;

/**
 * A block's bytes are buf[start, end), its lines separated by LF; no line end after the last.
 * `firstLineEnd` is where its first line ends and `lines` how many lines it has, as the framing
 * found them (the handler need not look for line ends again); -1 and 0 when they are not known
 * (a block gathered from several chunks, or rewritten from CR line ends).
 */
export type BlockHandler = (buf: Buffer, start: number, end: number, firstLineEnd: number, lines: number) => void;

export class SseFrames {
  /** The current block's bytes from earlier chunks: pending[0, pendingLength). */
  private pending: Buffer | null = null;
  private pendingLength = 0;
  /** The current block has a CR line end (it must be rewritten). */
  private blockHasCr = false;
  /** The current line has no bytes yet. */
  private lineEmpty = true;
  /** The last byte seen was a CR: an LF right after it belongs to the same line end. */
  private afterCr = false;
  /** The current block outgrew MAX_EVENT_BYTES: skip it up to its blank line. */
  private dropping = false;
  /** Events dropped for their size. */
  dropped = 0;

  /** Hands every complete event block in the bytes so far to `onBlock`. */
  push(chunk: Buffer | string, onBlock: BlockHandler): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const length = buf.length;
    if (length === 0) return;
    // Where the current block and line start in this chunk (0: in an earlier chunk, or here).
    let blockStart = 0;
    let lineStart = this.lineEmpty ? 0 : -1;
    let afterCr = this.afterCr;
    // The current block's first line end and line count, while the block is within this chunk.
    let firstLineEnd = -1;
    let lines = 0;
    // indexOf of one byte is a native fast call; CR is looked for only in chunks that have one.
    let nextLf = buf.indexOf(NEWLINE);
    let nextCr = buf.indexOf(CR);
    for (;;) {
      let at: number;
      if (nextCr === -1 || (nextLf !== -1 && nextLf < nextCr)) {
        if (nextLf === -1) break;
        at = nextLf;
        nextLf = buf.indexOf(NEWLINE, at + 1);
        if (afterCr && (at === 0 ? this.afterCr : buf[at - 1] === CR)) {
          // The LF of a CRLF: the line ended at the CR.
          afterCr = false;
          if (blockStart === at && this.pendingLength === 0) blockStart = at + 1;
          lineStart = at + 1;
          continue;
        }
      } else {
        at = nextCr;
        nextCr = buf.indexOf(CR, at + 1);
      }
      afterCr = buf[at] === CR;
      if (lineStart === at) {
        // A blank line: the block (if any) is complete.
        const blockLength = this.pendingLength + at - blockStart;
        if (this.dropping) {
          this.dropping = false;
          this.dropped++;
        } else if (blockLength > 0) {
          this.emit(buf, blockStart, at, onBlock, firstLineEnd, lines);
        }
        this.reset();
        blockStart = at + 1;
        firstLineEnd = -1;
        lines = 0;
      } else {
        if (afterCr) this.blockHasCr = true;
        if (lines++ === 0) firstLineEnd = at;
      }
      lineStart = at + 1;
    }
    this.afterCr = length > 0 ? buf[length - 1] === CR : this.afterCr;
    this.lineEmpty = lineStart === length;
    if (blockStart < length && !this.dropping) {
      if (this.pendingLength + length - blockStart > MAX_EVENT_BYTES) {
        this.reset();
        this.dropping = true;
      } else {
        this.gather(buf, blockStart, length);
      }
    }
  }

  /** The last block, when the stream ended without a blank line after it. */
  end(onBlock: BlockHandler): void {
    if (!this.dropping && this.pendingLength > 0) this.emit(Buffer.alloc(0), 0, 0, onBlock, -1, 0);
    this.reset();
    this.dropping = false;
    this.lineEmpty = true;
    this.afterCr = false;
  }

  /** Hands over the block made of the pieces and buf[start, end), without its last line end. */
  private emit(
    buf: Buffer,
    start: number,
    end: number,
    onBlock: BlockHandler,
    firstLineEnd: number,
    lines: number,
  ): void {
    let block = buf;
    if (this.pendingLength > 0 || this.blockHasCr) {
      // Lines counted in this chunk only, or at CRs that are rewritten below: not handed on.
      firstLineEnd = -1;
      lines = 0;
    }
    if (this.pendingLength > 0) {
      this.gather(buf, start, end);
      // Handed over, never written again: reset() lets the buffer go.
      block = this.pending!.subarray(0, this.pendingLength);
      start = 0;
      end = block.length;
    }
    while (end > start && (block[end - 1] === NEWLINE || block[end - 1] === CR)) end--;
    if (end === start) return;
    if (this.blockHasCr) {
      block = withLfLineEnds(block, start, end);
      start = 0;
      end = block.length;
    }
    onBlock(block, start, end, firstLineEnd, lines);
  }

  /** Appends buf[start, end) to the current block's bytes, doubling the buffer when it is full. */
  private gather(buf: Buffer, start: number, end: number): void {
    const needed = this.pendingLength + end - start;
    let pending = this.pending;
    if (pending === null || pending.length < needed) {
      // Up to MAX_EVENT_BYTES plus the chunk that ends the block (push() drops larger blocks).
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(2 * (pending?.length ?? 2048), MAX_EVENT_BYTES)));
      if (pending !== null) pending.copy(grown, 0, 0, this.pendingLength);
      this.pending = pending = grown;
    }
    buf.copy(pending, this.pendingLength, start, end);
    this.pendingLength = needed;
  }

  private reset(): void {
    this.pending = null;
    this.pendingLength = 0;
    this.blockHasCr = false;
  }
}

/** buf[start, end) with each CRLF and lone CR written as LF. */
function withLfLineEnds(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  let o = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i];
    if (byte === CR) {
      out[o++] = NEWLINE;
      if (buf[i + 1] === NEWLINE && i + 1 < end) i++;
    } else {
      out[o++] = byte;
    }
  }
  return out.subarray(0, o);
}

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d;
}

/** Whether buf[start, end) is exactly `bytes`. */
export function matches(buf: Buffer, start: number, end: number, bytes: Buffer): boolean {
  if (end - start !== bytes.length || end > buf.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[start + i] !== bytes[i]) return false;
  return true;
}

/**
 * Where a block's `event:` name and first line end, or null when it starts with no event line.
 * `firstLineEnd`: where the framing found the first line's end (-1: looked for here).
 */
export function eventLine(
  buf: Buffer,
  start: number,
  end: number,
  firstLineEnd = -1,
): { name: [number, number]; lineEnd: number } | null {
  if (!matches(buf, start, Math.min(end, start + 6), EVENT_FIELD)) return null;
  let lineEnd = firstLineEnd === -1 ? start + 6 : Math.min(firstLineEnd, end);
  while (lineEnd < end && buf[lineEnd] !== NEWLINE) lineEnd++;
  let nameStart = start + 6;
  let nameEnd = lineEnd;
  while (nameStart < nameEnd && isBlank(buf[nameStart])) nameStart++;
  while (nameEnd > nameStart && isBlank(buf[nameEnd - 1])) nameEnd--;
  return { name: [nameStart, nameEnd], lineEnd };
}

/** The entry of `events` whose name is buf[start, end), or undefined. */
export function eventNamed<T extends { bytes: Buffer }>(
  events: readonly T[],
  buf: Buffer,
  start: number,
  end: number,
): T | undefined {
  for (const event of events) if (matches(buf, start, end, event.bytes)) return event;
  return undefined;
}

/**
 * The bytes after `data:` when the block's second line is its only data line, else null. `lines`:
 * how many lines the framing found in the block (0: not known, looked at here).
 */
export function singleDataLine(buf: Buffer, lineEnd: number, end: number, lines = 0): Buffer | null {
  if (lineEnd >= end || lines > 2) return null;
  const dataStart = lineEnd + 1;
  if (lines !== 2) {
    const dataEnd = buf.indexOf(NEWLINE, dataStart);
    if (dataEnd !== -1 && dataEnd < end) return null;
  }
  if (!matches(buf, dataStart, Math.min(end, dataStart + 5), DATA_FIELD)) return null;
  return buf.subarray(dataStart + 5, end);
}

/** The data of a block (its data lines joined), decoded: the slow path for events that matter. */
export function blockData(buf: Buffer, start: number, end: number): { name: string | null; data: string } {
  let name: string | null = null;
  const data: string[] = [];
  for (const line of buf.toString('utf8', start, end).split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  // Several data lines are one value joined by LF (the SSE spec).
  return { name, data: data.join('\n') };
}
