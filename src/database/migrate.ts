import { DataSource, Migration, MigrationExecutor } from 'typeorm';

/** Arbitrary but fixed: every Gatehouse instance serialises its migrations on this key. */
export const MIGRATION_LOCK_KEY = 7_243_118_601;

/**
 * Runs pending migrations while holding a session-level advisory lock, so two instances that
 * start together migrate one after the other; the second finds nothing left to do. The lock,
 * the bookkeeping and the migrations all use one connection, so a pool of one cannot deadlock.
 * The request-sized statement timeout does not apply here: waiting for another instance's
 * migrations, or building an index, may take longer than any request should.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<Migration[]> {
  const queryRunner = dataSource.createQueryRunner();
  try {
    await queryRunner.connect();
    await queryRunner.query('SET statement_timeout = 0');
    await queryRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(dataSource, queryRunner);
      // One transaction per migration (the executor's default is one for all of them).
      executor.transaction = 'each';
      return await executor.executePendingMigrations();
    } finally {
      await queryRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      // Back to the connection's configured timeout before it returns to the pool.
      await queryRunner.query('RESET statement_timeout');
    }
  } finally {
    await queryRunner.release();
  }
}
