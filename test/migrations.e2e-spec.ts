import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { runPendingMigrations } from '../src/database/migrate';
import { detectSchemaDrift, renderMigration } from '../src/database/schema-drift';
import { freshDatabase } from './support/test-database';
import { startTestApp, testConfig } from './support/test-app';
import { MIGRATION_NAMES } from './support/migration-names';

@Entity('drift_probe')
class DriftProbe {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  label!: string;
}

describe('migrations from an empty database', () => {
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(() => db.drop());

  const connect = async (extra: Partial<{ entities: unknown[] }> = {}) => {
    const options = { ...dataSourceOptions(testConfig(), db.url), ...extra };
    return new DataSource(options as ConstructorParameters<typeof DataSource>[0]).initialize();
  };

  it('booting the app applies every migration once, and a second boot applies none', async () => {
    const first = await startTestApp({ databaseUrl: db.url });
    await first.close();
    const second = await startTestApp({ databaseUrl: db.url });
    await second.close();

    const ds = await connect();
    try {
      const rows: { name: string }[] = await ds.query('SELECT name FROM migrations ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(MIGRATION_NAMES);
      expect(MIGRATION_NAMES[0]).toBe('UuidV7Function1763798400000');
      expect(await runPendingMigrations(ds)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it('provides uuidv7(): version 7, RFC 9562 variant, ordered by creation time', async () => {
    const ds = await connect();
    try {
      const before = Date.now();
      const rows: { id: string }[] = await ds.query(
        'SELECT uuidv7()::text AS id FROM generate_series(1, 50)',
      );
      const ids = rows.map((r) => r.id);
      for (const id of ids) {
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const millis = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
        expect(Math.abs(millis - before)).toBeLessThan(60_000);
      }
      expect(new Set(ids).size).toBe(50);
    } finally {
      await ds.destroy();
    }
  });

  it('reports no drift for the entities the service has', async () => {
    const ds = await connect();
    try {
      expect(await detectSchemaDrift(ds)).toEqual({ up: [], down: [] });
    } finally {
      await ds.destroy();
    }
  });

  it('detects an entity no migration creates, and renders the migration that would', async () => {
    const ds = await connect({ entities: [DriftProbe] });
    try {
      const drift = await detectSchemaDrift(ds);
      expect(drift.up.map((q) => q.query).join('\n')).toMatch(/CREATE TABLE "drift_probe"/);
      const file = renderMigration('AddDriftProbe', 1700000000000, drift);
      expect(file).toContain(
        'export class AddDriftProbe1700000000000 implements MigrationInterface',
      );
      expect(file).toContain('DROP TABLE \\"drift_probe\\"');
    } finally {
      await ds.destroy();
    }
  });
});
