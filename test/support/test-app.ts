import { Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  inject: NestFastifyApplication['inject'];
  close: () => Promise<void>;
}

export function testDatabaseUrl(): string {
  const url = process.env.GATEHOUSE_TEST_DATABASE_URL;
  if (!url) throw new Error('GATEHOUSE_TEST_DATABASE_URL is not set: run the suite through jest');
  return url;
}

/** Configuration as a deployment would give it, pointed at the run's test database. */
export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: testDatabaseUrl(),
    ...env,
  });
}

/** Boots the real application (all global pipes, filters, hooks) without opening a port. */
export async function startTestApp(
  options: { env?: Record<string, string>; extraModules?: Type[]; databaseUrl?: string } = {},
): Promise<TestApp> {
  const config = testConfig(options.env);
  const logs: Record<string, unknown>[] = [];
  const app = await createApp({
    config,
    databaseUrl: options.databaseUrl ?? config.database.url!,
    extraModules: options.extraModules,
    logDestination: {
      write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return { app, config, logs, inject: app.inject.bind(app), close: () => app.close() };
}
