import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startEmbeddedPostgresProcess } from './embedded-postgres-process';

/** The server the suite may create databases on, when the developer or CI configured one. */
export function serverUrlFromEnvironment(): string | undefined {
  return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Creates an empty database on the server and returns its URL and a function dropping it. */
export async function createScratchDatabase(
  serverUrl: string,
  prefix = 'gatehouse_test',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(serverUrl, name),
    drop: async () => {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * An empty database of its own for a test that must start from nothing: on the configured
 * server when there is one, otherwise a private in-memory embedded PostgreSQL of its own.
 */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = process.env.GATEHOUSE_TEST_SERVER_URL;
  if (serverUrl) return createScratchDatabase(serverUrl, 'gatehouse_fresh');
  const embedded = await startEmbeddedPostgresProcess('memory://');
  return { url: embedded.url, drop: embedded.stop };
}
