// Rows the write-behind writers (request logs, key usage) gave up on after their retries, kept
// with the error instead of being lost. Nothing reads them in the app; an operator inspects,
// replays or deletes them, and the readiness report counts them per writer.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class WriteDeadLetters1764000006000 implements MigrationInterface {
  name = 'WriteDeadLetters1764000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE write_dead_letters (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        writer varchar(64) NOT NULL,
        payload jsonb NOT NULL,
        error text NOT NULL,
        attempts integer NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX write_dead_letters_writer_time ON write_dead_letters (writer, failed_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE write_dead_letters');
  }
}
