// Server-sent-event framing on bytes, shared by the stream observer and the Chat Completions
// translator: event blocks are found with indexOf, and an event's name is compared on its bytes,
// so the many events the gateway ignores (deltas, mostly) are never decoded.

const NEWLINE = 0x0a;
const EVENT_FIELD = Buffer.from('event:');
const DATA_FIELD = Buffer.from('data:');
/** A stream without blank-line framing must not grow the buffer forever. */
const MAX_PENDING = 8 * 1024 * 1024;

export type BlockHandler = (buf: Buffer, start: number, end: number) => void;

export class SseFrames {
  private pending: Buffer | null = null;

  /** Hands every complete event block in the bytes so far to `onBlock`. */
  push(chunk: Buffer | string, onBlock: BlockHandler): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const buf = this.pending ? Buffer.concat([this.pending, bytes]) : bytes;
    // Blank lines are found newline by newline: indexOf of one byte is a native fast call, several
    // times cheaper than a two-byte pattern search.
    let start = 0;
    let from = 0;
    for (;;) {
      const newline = buf.indexOf(NEWLINE, from);
      if (newline === -1 || newline + 1 >= buf.length) break;
      if (buf[newline + 1] !== NEWLINE) {
        from = newline + 1;
        continue;
      }
      onBlock(buf, start, newline);
      start = from = newline + 2;
    }
    this.pending = start < buf.length && buf.length - start < MAX_PENDING ? Buffer.from(buf.subarray(start)) : null;
  }

  /** The last block, when the stream ended without a blank line after it. */
  end(onBlock: BlockHandler): void {
    if (this.pending && this.pending.length > 0) onBlock(this.pending, 0, this.pending.length);
    this.pending = null;
  }
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

/** Where a block's `event:` name and first line end, or null when it starts with no event line. */
export function eventLine(buf: Buffer, start: number, end: number): { name: [number, number]; lineEnd: number } | null {
  if (!matches(buf, start, Math.min(end, start + 6), EVENT_FIELD)) return null;
  let lineEnd = start + 6;
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

/** The bytes after `data:` when the block's second line is its only data line, else null. */
export function singleDataLine(buf: Buffer, lineEnd: number, end: number): Buffer | null {
  if (lineEnd >= end) return null;
  const dataStart = lineEnd + 1;
  const dataEnd = buf.indexOf(NEWLINE, dataStart);
  if (dataEnd !== -1 && dataEnd < end) return null;
  if (!matches(buf, dataStart, Math.min(end, dataStart + 5), DATA_FIELD)) return null;
  return buf.subarray(dataStart + 5, end);
}

/** The data of a block (its data lines joined), decoded: the slow path for events that matter. */
export function blockData(buf: Buffer, start: number, end: number): { name: string | null; data: string } {
  let name: string | null = null;
  let data = '';
  for (const line of buf.toString('utf8', start, end).split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trimStart();
  }
  return { name, data };
}
