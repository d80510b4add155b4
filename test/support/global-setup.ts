import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { createScratchDatabase, serverUrlFromEnvironment } from './test-database';

/**
 * One fresh database per test run. With TEST_DATABASE_URL (or DATABASE_URL) it is created on
 * that PostgreSQL server and dropped afterwards; without, an in-memory embedded PostgreSQL is
 * started in this process for the run. Workers read the URL from GATEHOUSE_TEST_DATABASE_URL.
 */
export default async function globalSetup(): Promise<void> {
  const serverUrl = serverUrlFromEnvironment();
  if (serverUrl) {
    const database = await createScratchDatabase(serverUrl);
    process.env.GATEHOUSE_TEST_DATABASE_URL = database.url;
    process.env.GATEHOUSE_TEST_SERVER_URL = serverUrl;
    globalThis.__gatehouseTeardown = database.drop;
  } else {
    const embedded = await EmbeddedPostgres.start('memory://', 32);
    process.env.GATEHOUSE_TEST_DATABASE_URL = embedded.url;
    globalThis.__gatehouseTeardown = () => embedded.stop();
  }
}

declare global {
  var __gatehouseTeardown: (() => Promise<void>) | undefined;
}
