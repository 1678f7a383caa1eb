// Runs pending migrations and the first-start bootstrap while holding a Postgres advisory lock,
// so several instances starting at once on one database neither race nor duplicate work.
import type { DataSource, QueryRunner } from 'typeorm';
import { MigrationExecutor } from 'typeorm';
import { withoutDeadlines } from './data-source';

/** Arbitrary but fixed: the lock id every codex-lb instance agrees on. */
const STARTUP_LOCK_ID = 7_346_201_455;

export async function withStartupLock<T>(
  dataSource: DataSource,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    // Waiting for another instance's migrations, and migrating, may outlast a request's deadline.
    return await withoutDeadlines(runner, async () => {
      await runner.query('SELECT pg_advisory_lock($1)', [STARTUP_LOCK_ID]);
      try {
        return await work(runner);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [STARTUP_LOCK_ID]);
      }
    });
  } finally {
    await runner.release();
  }
}

/** Uses the lock's own connection, so it also works with a one-connection pool. */
export async function runMigrations(dataSource: DataSource, runner: QueryRunner): Promise<number> {
  const executor = new MigrationExecutor(dataSource, runner);
  executor.transaction = 'each';
  const applied = await executor.executePendingMigrations();
  return applied.length;
}
