import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/load-config';
import { openDatabaseEndpoint } from '../src/database/database-endpoint';

/** Boots the service exactly as `npm start` does with no DATABASE_URL, on the given directory. */
async function bootEmbedded(dataDir: string) {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PGLITE_DATA_DIR: dataDir });
  const announcements: string[] = [];
  const database = await openDatabaseEndpoint(config, (m) => announcements.push(m));
  const app = await createApp({ config, databaseUrl: database.url });
  await app.init();
  return {
    app,
    announcements,
    dataSource: app.get(DataSource),
    stop: async () => {
      await app.close();
      await database.embedded?.stop();
    },
  };
}

describe('embedded PostgreSQL (no DATABASE_URL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pglite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('announces itself once, and keeps data across a restart', async () => {
    const first = await bootEmbedded(dir);
    expect(first.announcements).toHaveLength(1);
    expect(first.announcements[0]).toContain(dir);
    expect(first.announcements[0]).toContain('DATABASE_URL');
    const ready = await first.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    await first.dataSource.query('CREATE TABLE restart_probe (id uuid PRIMARY KEY, note text)');
    const [{ id }] = await first.dataSource.query<{ id: string }[]>(
      "INSERT INTO restart_probe VALUES (uuidv7(), 'survives') RETURNING id",
    );
    await first.stop();

    const second = await bootEmbedded(dir);
    try {
      const rows = await second.dataSource.query<unknown[]>('SELECT id, note FROM restart_probe');
      expect(rows).toEqual([{ id, note: 'survives' }]);
      const migrations = await second.dataSource.query<unknown[]>('SELECT name FROM migrations');
      expect(migrations).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});
