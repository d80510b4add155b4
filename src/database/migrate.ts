import { DataSource, Migration, MigrationExecutor } from 'typeorm';

/** Arbitrary but fixed: every Gatehouse instance serialises its migrations on this key. */
export const MIGRATION_LOCK_KEY = 7_243_118_601;

/**
 * Runs pending migrations while holding a session-level advisory lock, so two instances that
 * start together migrate one after the other; the second finds nothing left to do. The lock,
 * the bookkeeping and the migrations all use one connection, so a pool of one cannot deadlock.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<Migration[]> {
  const queryRunner = dataSource.createQueryRunner();
  try {
    await queryRunner.connect();
    await queryRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(dataSource, queryRunner);
      executor.transaction = 'each';
      return await executor.executePendingMigrations();
    } finally {
      await queryRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await queryRunner.release();
  }
}
