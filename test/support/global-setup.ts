import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { createScratchDatabase, migrateWithCli, serverUrlFromEnvironment } from './test-database';

/**
 * One fresh database per test run, and a migrated template every application under test gets
 * a copy of. With TEST_DATABASE_URL (or DATABASE_URL) both are created on that PostgreSQL
 * server and dropped afterwards (with every copy); without, embedded PostgreSQL: the run's
 * database in this process, the template as a dump that each copy starts from. Workers read
 * them from GATEHOUSE_TEST_DATABASE_URL, GATEHOUSE_TEST_TEMPLATE(_DUMP).
 */
export default async function globalSetup(): Promise<void> {
  const serverUrl = serverUrlFromEnvironment();
  if (serverUrl) {
    const database = await createScratchDatabase(serverUrl);
    const template = await createScratchDatabase(serverUrl, 'gh_tpl');
    await migrateWithCli(template.url);
    process.env.GATEHOUSE_TEST_DATABASE_URL = database.url;
    process.env.GATEHOUSE_TEST_SERVER_URL = serverUrl;
    process.env.GATEHOUSE_TEST_TEMPLATE = template.name;
    globalThis.__gatehouseTeardown = async () => {
      await database.drop();
      await dropCopies(serverUrl, template.name);
      await template.drop();
    };
  } else {
    const template = await EmbeddedPostgres.start('memory://', 8);
    await migrateWithCli(template.url);
    const dump = join(mkdtempSync(join(tmpdir(), 'gatehouse-test-')), 'template.tar');
    await template.dump(dump);
    await template.stop();
    const embedded = await EmbeddedPostgres.start('memory://', 32);
    process.env.GATEHOUSE_TEST_DATABASE_URL = embedded.url;
    process.env.GATEHOUSE_TEST_TEMPLATE_DUMP = dump;
    globalThis.__gatehouseTeardown = () => embedded.stop();
  }
}

/** Copies of the template left by tests that did not close their application. */
async function dropCopies(serverUrl: string, template: string): Promise<void> {
  const { Client } = await import('pg');
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [`${template}_c_`],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

declare global {
  var __gatehouseTeardown: (() => Promise<void>) | undefined;
}
