// Request logs keep the id of a since-deleted key or account, as the rollups already do, instead
// of a foreign key that nulls it. On a table of millions of rows the foreign keys cost a row lock
// on the key and the account for every logged request, and deleting a key rewrote every log row
// it ever made; the dashboard shows a deleted key's rows with no name either way. The owner's
// foreign key stays: deleting a user deletes their logs.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RequestLogsHistory1764000004000 implements MigrationInterface {
  name = 'RequestLogsHistory1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE request_logs DROP CONSTRAINT IF EXISTS request_logs_api_key_id_fkey');
    await q.query('ALTER TABLE request_logs DROP CONSTRAINT IF EXISTS request_logs_account_id_fkey');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'UPDATE request_logs l SET api_key_id = NULL WHERE api_key_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = l.api_key_id)',
    );
    await q.query(
      'UPDATE request_logs l SET account_id = NULL WHERE account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = l.account_id)',
    );
    await q.query(
      'ALTER TABLE request_logs ADD CONSTRAINT request_logs_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES api_keys(id) ON DELETE SET NULL',
    );
    await q.query(
      'ALTER TABLE request_logs ADD CONSTRAINT request_logs_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE SET NULL',
    );
  }
}
