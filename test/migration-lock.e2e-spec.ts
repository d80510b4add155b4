import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { MIGRATION_LOCK_KEY, runPendingMigrations } from '../src/database/migrate';
import { onServer } from './support/server-only';
import { freshDatabase } from './support/test-database';
import { testConfig } from './support/test-app';
import { MIGRATION_NAMES } from './support/migration-names';

/** Advisory locks belong to a database session: only a server shows two instances excluding each other. */

(onServer ? describe : describe.skip)('migrations under the advisory lock', () => {
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(() => db.drop());

  const instance = () => new DataSource(dataSourceOptions(testConfig(), db.url)).initialize();

  it('waits while another instance holds the lock, then migrates', async () => {
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const ds = await instance();
    try {
      let finished = false;
      const migrating = runPendingMigrations(ds).then((applied) => {
        finished = true;
        return applied;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(finished).toBe(false);
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      expect((await migrating).map((m) => m.name)).toEqual(MIGRATION_NAMES);
    } finally {
      await holder.end();
      await ds.destroy();
    }
  });

  it('waits longer than the statement timeout for the lock, and restores that timeout', async () => {
    const again = await freshDatabase();
    const holder = new Client({ connectionString: again.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const config = testConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '200', DATABASE_POOL_SIZE: '1' });
    const ds = await new DataSource(dataSourceOptions(config, again.url)).initialize();
    try {
      const migrating = runPendingMigrations(ds);
      await new Promise((resolve) => setTimeout(resolve, 600));
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      expect(await migrating).toHaveLength(MIGRATION_NAMES.length);
      expect(await ds.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '200ms' }]);
    } finally {
      await holder.end();
      await ds.destroy();
      await again.drop();
    }
  });

  it('two instances starting together record each migration exactly once', async () => {
    const again = await freshDatabase();
    const [a, b] = await Promise.all([
      new DataSource(dataSourceOptions(testConfig(), again.url)).initialize(),
      new DataSource(dataSourceOptions(testConfig(), again.url)).initialize(),
    ]);
    try {
      const applied = await Promise.all([runPendingMigrations(a), runPendingMigrations(b)]);
      expect(applied.map((list) => list.length).sort()).toEqual([0, MIGRATION_NAMES.length]);
      const rows = await a.query<unknown[]>('SELECT name FROM migrations');
      expect(rows).toHaveLength(MIGRATION_NAMES.length);
    } finally {
      await a.destroy();
      await b.destroy();
      await again.drop();
    }
  });
});
