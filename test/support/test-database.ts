import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgresProcess } from './embedded-postgres-process';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

/** The server the suite may create databases on, when the developer or CI configured one. */
export function serverUrlFromEnvironment(): string | undefined {
  return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer<T>(serverUrl: string, work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Drops a database of the server, ending its connections. */
export function dropDatabase(serverUrl: string, name: string): Promise<void> {
  return onServer(serverUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}

/**
 * Creates a database on the server (empty, or a copy of `template`) and returns its URL and a
 * function dropping it.
 */
export async function createScratchDatabase(
  serverUrl: string,
  prefix = 'gatehouse_test',
  template?: string,
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, async (admin) => {
    await admin.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  });
  return { name, url: withDatabase(serverUrl, name), drop: () => dropDatabase(serverUrl, name) };
}

/**
 * Brings a database up to date as an operator would: `migration:run` of the built CLI, which
 * also installs the job queue's schema.
 */
export async function migrateWithCli(url: string): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'migration:run'], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, NODE_ENV: 'test' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`migration:run failed (${code}): ${errors}`);
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

/**
 * A migrated database of its own, for an application under test: its outbox, jobs and rows
 * meet no other test's. A copy of the run's template database on the configured server, or an
 * embedded PostgreSQL started from the template's dump.
 */
export async function migratedDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = process.env.GATEHOUSE_TEST_SERVER_URL;
  const template = process.env.GATEHOUSE_TEST_TEMPLATE;
  if (serverUrl && template) {
    return createScratchDatabase(serverUrl, `${template}_c`, template);
  }
  const dump = process.env.GATEHOUSE_TEST_TEMPLATE_DUMP;
  if (!dump) throw new Error('no template database: run the suite through jest');
  const embedded = await startEmbeddedPostgresProcess('memory://', dump);
  return { url: embedded.url, drop: embedded.stop };
}
