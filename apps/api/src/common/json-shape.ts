// A cheap look at a JSON text before it is parsed: how deep it nests and how many members and
// elements it has. One pass over the bytes, no recursion, so a 10,000-deep array is refused in
// microseconds instead of overflowing a recursive walk further on (class-transformer, validation).

export const MAX_JSON_DEPTH = 32;
export const MAX_JSON_MEMBERS = 10_000;

export interface JsonShapeLimits {
  maxDepth: number;
  maxMembers: number;
}

const DEFAULT_LIMITS: JsonShapeLimits = { maxDepth: MAX_JSON_DEPTH, maxMembers: MAX_JSON_MEMBERS };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Checks a JSON text chunk by chunk as it arrives, so an oversized or overdeep body is refused
 * after its first few kilobytes. Members and elements are counted as containers plus separators,
 * an upper bound that needs no parse. Bytes inside strings are skipped; structural characters are
 * ASCII, so UTF-8 text scans as bytes.
 */
export class JsonShapeScanner {
  private depth = 0;
  private members = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly limits: JsonShapeLimits = DEFAULT_LIMITS) {}

  /** Feeds the next chunk; returns why the text is refused, or null while it is within limits. */
  push(bytes: Uint8Array): string | null {
    const { maxDepth, maxMembers } = this.limits;
    let { depth, members, inString, escaped } = this;
    let problem: string | null = null;
    for (let i = 0; i < bytes.length && problem === null; i++) {
      const c = bytes[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) {
        inString = true;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (++depth > maxDepth) problem = `The JSON nests deeper than ${maxDepth} levels.`;
        else if (++members > maxMembers) problem = tooMany(this.limits);
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
      } else if (c === COMMA && ++members > maxMembers) {
        problem = tooMany(this.limits);
      }
    }
    Object.assign(this, { depth, members, inString, escaped });
    return problem;
  }
}

/** Why a whole JSON text is too deep or too large, or null when it is within the limits. */
export function jsonShapeProblem(text: Buffer | string, limits: JsonShapeLimits = DEFAULT_LIMITS): string | null {
  return new JsonShapeScanner(limits).push(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
}

function tooMany(limits: JsonShapeLimits): string {
  return `The JSON has more than ${limits.maxMembers} members and elements.`;
}
