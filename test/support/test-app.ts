import { Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { migratedDatabase } from './test-database';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /**
   * Every log line written in this worker, parsed. Nest's static Logger keeps process-wide
   * state, so lines of one app can land in another's sink: tests tell lines apart
   * by request id, never by which app wrote them.
   */
  logs: Record<string, unknown>[];
  inject: NestFastifyApplication['inject'];
  /** The access line is written when the response finishes, possibly after inject resolves. */
  waitForLog: (
    predicate: (line: Record<string, unknown>) => boolean,
  ) => Promise<Record<string, unknown>>;
  close: () => Promise<void>;
}

export function testDatabaseUrl(): string {
  const url = process.env.GATEHOUSE_TEST_DATABASE_URL;
  if (!url) throw new Error('GATEHOUSE_TEST_DATABASE_URL is not set: run the suite through jest');
  return url;
}

/** A fixed, obviously-not-secret master key: every app of a run must open what another sealed. */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

/** Configuration as a deployment would give it, pointed at the run's test database. */
export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: testDatabaseUrl(),
    MASTER_KEY: TEST_MASTER_KEY,
    ...env,
  });
}

const logs: Record<string, unknown>[] = [];

/**
 * Boots the real application (all global pipes, filters, hooks) without opening a port, on a
 * migrated database of its own unless given one (several instances of one deployment share
 * theirs). Closing it drops the database it was given none.
 */
export async function startTestApp(
  options: { env?: Record<string, string>; extraModules?: Type[]; databaseUrl?: string } = {},
): Promise<TestApp> {
  const own = options.databaseUrl ? null : await migratedDatabase();
  const databaseUrl = options.databaseUrl ?? own!.url;
  const config = testConfig({ DATABASE_URL: databaseUrl, ...options.env });
  const app = await createApp({
    config,
    databaseUrl,
    extraModules: options.extraModules,
    logDestination: {
      write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    },
  }).catch(async (error: unknown) => {
    await own?.drop();
    throw error;
  });
  try {
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  } catch (error) {
    await app.close().catch(() => undefined);
    await own?.drop();
    throw error;
  }
  const waitForLog = async (predicate: (line: Record<string, unknown>) => boolean) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const line = logs.find(predicate);
      if (line) return line;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('expected log line was never written');
  };
  const close = async () => {
    try {
      await app.close();
    } finally {
      await own?.drop();
    }
  };
  return { app, config, logs, inject: app.inject.bind(app), waitForLog, close };
}
