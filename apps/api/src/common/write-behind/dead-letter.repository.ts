// The dead-letter table: rows a writer gave up on, with the error, so an operator can see (and
// replay by hand) what the database refused. Payloads are stored as jsonb with strings made
// storable (a NUL shows as U+FFFD): the rows that end up here are often the ones whose text
// Postgres refused in the first place.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { storableJsonReplacer, storableText } from './storable-text';
import type { DeadLetter, DeadLetterSink } from './write-behind';

/** Large payloads are cut (as text, wrapped in an object) rather than refused. */
const MAX_PAYLOAD_CHARS = 100_000;

function payloadJson(payload: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(payload, storableJsonReplacer) ?? 'null';
  } catch (error) {
    json = JSON.stringify({ unserializable: String(error) });
  }
  if (json.length <= MAX_PAYLOAD_CHARS) return json;
  return JSON.stringify({ truncated: storableText(json, MAX_PAYLOAD_CHARS) }, storableJsonReplacer);
}

@Injectable()
export class DeadLetterRepository implements DeadLetterSink {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async store(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO write_dead_letters (writer, payload, error, attempts, failed_at)
       SELECT * FROM unnest($1::varchar[], $2::jsonb[], $3::text[], $4::int[], $5::timestamptz[])`,
      [
        letters.map((l) => storableText(l.writer, 64)),
        letters.map((l) => payloadJson(l.payload)),
        letters.map((l) => storableText(l.error, 2_000)),
        letters.map((l) => l.attempts),
        letters.map((l) => l.failedAt),
      ],
    );
  }

  /** Rows in the table per writer (kept until an operator deletes them). */
  async countByWriter(): Promise<Record<string, number>> {
    const rows: { writer: string; count: number }[] = await this.dataSource.query(
      `SELECT writer, count(*)::int AS count FROM write_dead_letters GROUP BY writer`,
    );
    return Object.fromEntries(rows.map((row) => [row.writer, row.count]));
  }
}
