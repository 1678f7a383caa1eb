// Fewer indexes on request_logs: every logged request paid for nine B-tree inserts, and at a few
// thousand requests a second the log was the largest single cost of a proxied request (Postgres
// on the same cores as the proxy; bench/BASELINE.md has the figures: ~29 us of Postgres CPU per
// row with nine indexes, ~19.5 us with these six).
//
// Kept: the primary key, time, owner, key and account (the scopes' conditions and the key and
// account filters). Dropped: model, status and route, low-cardinality filters that a page reads
// through the time or owner index, filtering as it goes. The error-code index becomes one for every
// row that did not simply succeed (errors, cancellations, incomplete answers): a filter on status
// 'error' or 'cancelled', or an error-code search, scans only those rows, and a successful request
// (nearly all of them) is not inserted into it at all.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RequestLogIndexes1764000014000 implements MigrationInterface {
  name = 'RequestLogIndexes1764000014000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS request_logs_model_time`);
    await q.query(`DROP INDEX IF EXISTS request_logs_status_time`);
    await q.query(`DROP INDEX IF EXISTS request_logs_route_time`);
    await q.query(`DROP INDEX IF EXISTS request_logs_error_time`);
    await q.query(`
      CREATE INDEX request_logs_unsuccessful_time ON request_logs (requested_at DESC, id DESC)
        WHERE status <> 'success' OR error_code IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS request_logs_unsuccessful_time`);
    await q.query(`CREATE INDEX request_logs_model_time ON request_logs (model, requested_at DESC, id DESC)`);
    await q.query(`CREATE INDEX request_logs_status_time ON request_logs (status, requested_at DESC, id DESC)`);
    await q.query(`CREATE INDEX request_logs_route_time ON request_logs (route, requested_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX request_logs_error_time ON request_logs (requested_at DESC, id DESC) WHERE error_code IS NOT NULL`,
    );
  }
}
