// Text that Postgres will store: a text or varchar value cannot hold NUL, and a lone UTF-16
// surrogate becomes U+FFFD on the wire but an error inside JSON (jsonb refuses `\ud800`). Every
// write-behind buffer cleans its texts with this at the boundary, so one odd string from a
// client cannot fail a batch. The proxy calls it per logged field: clean text (nearly all of it)
// costs two native scans and a length check.

interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * `value` without NUL characters, with lone surrogates replaced by U+FFFD, cut to at most `max`
 * UTF-16 units without splitting a surrogate pair. Postgres counts varchar(n) in characters,
 * which are never more than UTF-16 units, so the result fits a column of that size.
 */
export function storableText(value: string, max: number): string {
  let text = value;
  if (!(text as unknown as WellFormed).isWellFormed()) text = (text as unknown as WellFormed).toWellFormed();
  if (text.includes('\0')) text = text.replaceAll('\0', '');
  if (text.length > max) {
    const last = text.charCodeAt(max - 1);
    text = text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
  }
  return text;
}

/** A storable text, or null for a non-string or one that is empty once cleaned. */
export function storableTextOrNull(value: unknown, max: number): string | null {
  if (typeof value !== 'string' || value === '') return null;
  const text = storableText(value, max);
  return text === '' ? null : text;
}

/** A JSON.stringify replacer making every string storable in jsonb (no NUL, no lone surrogates). */
export function storableJsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = (value as unknown as WellFormed).isWellFormed()
    ? value
    : (value as unknown as WellFormed).toWellFormed();
  // In a dead letter the evidence matters more than the byte: NUL is shown, not dropped.
  return text.includes('\0') ? text.replaceAll('\0', '\ufffd') : text;
}
