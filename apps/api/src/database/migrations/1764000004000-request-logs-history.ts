// Request logs without per-row foreign keys. On a table of millions of rows each foreign key cost
// a check and a row lock on the referenced row for every logged request.
// - Key and account: a log keeps the id of a since-deleted key or account, as the rollups already
//   do, instead of having it nulled (deleting an account rewrote every log row it ever served);
//   the dashboard shows such rows without a name.
// - Owner: deleting a user still deletes their logs, now by a trigger on dashboard_users. The log
//   writer locks each owner of a batch once (FOR KEY SHARE) and inserts only rows whose owner
//   exists, so a batch and a deletion never interleave into orphan rows.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RequestLogsHistory1764000004000 implements MigrationInterface {
  name = 'RequestLogsHistory1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE request_logs DROP CONSTRAINT IF EXISTS request_logs_api_key_id_fkey');
    await q.query('ALTER TABLE request_logs DROP CONSTRAINT IF EXISTS request_logs_account_id_fkey');
    await q.query('ALTER TABLE request_logs DROP CONSTRAINT IF EXISTS request_logs_owner_user_id_fkey');
    await q.query(`
      CREATE FUNCTION request_logs_delete_owned() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM request_logs WHERE owner_user_id = OLD.id;
        RETURN OLD;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER dashboard_users_delete_request_logs AFTER DELETE ON dashboard_users
      FOR EACH ROW EXECUTE FUNCTION request_logs_delete_owned()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER IF EXISTS dashboard_users_delete_request_logs ON dashboard_users');
    await q.query('DROP FUNCTION IF EXISTS request_logs_delete_owned()');
    await q.query(
      'DELETE FROM request_logs l WHERE NOT EXISTS (SELECT 1 FROM dashboard_users u WHERE u.id = l.owner_user_id)',
    );
    await q.query(
      'UPDATE request_logs l SET api_key_id = NULL WHERE api_key_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = l.api_key_id)',
    );
    await q.query(
      'UPDATE request_logs l SET account_id = NULL WHERE account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = l.account_id)',
    );
    await q.query(
      'ALTER TABLE request_logs ADD CONSTRAINT request_logs_owner_user_id_fkey FOREIGN KEY (owner_user_id) REFERENCES dashboard_users(id) ON DELETE CASCADE',
    );
    await q.query(
      'ALTER TABLE request_logs ADD CONSTRAINT request_logs_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES api_keys(id) ON DELETE SET NULL',
    );
    await q.query(
      'ALTER TABLE request_logs ADD CONSTRAINT request_logs_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE SET NULL',
    );
  }
}
