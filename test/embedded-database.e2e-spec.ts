import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { startEmbeddedPostgresProcess } from './support/embedded-postgres-process';
import { startTestApp } from './support/test-app';
import { MIGRATION_NAMES } from './support/migration-names';

describe('embedded PostgreSQL (no DATABASE_URL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pglite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps data and migration state across a restart of the database', async () => {
    const first = await startEmbeddedPostgresProcess(dir);
    const app = await startTestApp({ databaseUrl: first.url });
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    const ds = app.app.get(DataSource);
    await ds.query('CREATE TABLE restart_probe (id uuid PRIMARY KEY, note text)');
    const [{ id }] = await ds.query<{ id: string }[]>(
      "INSERT INTO restart_probe VALUES (uuidv7(), 'survives') RETURNING id",
    );
    await app.close();
    await first.stop();

    const second = await startEmbeddedPostgresProcess(dir);
    const again = await startTestApp({ databaseUrl: second.url });
    try {
      const ds2 = again.app.get(DataSource);
      expect(await ds2.query('SELECT id, note FROM restart_probe')).toEqual([
        { id, note: 'survives' },
      ]);
      expect(await ds2.query('SELECT name FROM migrations')).toHaveLength(MIGRATION_NAMES.length);
    } finally {
      await again.close();
      await second.stop();
    }
  });
});
