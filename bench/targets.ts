// Nest's decorators read design-time types through Reflect; load the polyfill before any of them.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify from 'fastify';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { version as nestVersion } from '@nestjs/core/package.json';
import { version } from '../package.json';
import type { AppConfig } from '../src/config/app-config';
import { loadConfig } from '../src/config/load-config';
import { startService } from '../src/service';

/** A server under load: where requests go and how to take the server down again. */
export interface BenchServer {
  name: string;
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  baseUrl: string;
  close(): Promise<void>;
}

export interface GatehouseServer extends BenchServer {
  app: NestFastifyApplication;
  config: AppConfig;
  /** Which database the service runs on, for the settings line. */
  database: string;
}

const HOST = '127.0.0.1';

function baseUrl(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') {
    throw new Error(`expected a TCP address, got ${String(address)}`);
  }
  return `http://${HOST}:${address.port}`;
}

async function describeDatabase(
  app: NestFastifyApplication,
  url: string | undefined,
): Promise<string> {
  const [{ server_version: serverVersion }] = await app
    .get(DataSource)
    .query<{ server_version: string }[]>('SHOW server_version');
  // The host only: the URL may carry a password.
  return url
    ? `PostgreSQL ${serverVersion} at DATABASE_URL (host ${new URL(url).hostname})`
    : `embedded PGlite (memory://, PostgreSQL ${serverVersion})`;
}

/**
 * Without MASTER_KEY, one throwaway key for the whole run, like the embedded database: nothing
 * sealed in this run outlives it, and every benchmark's Gatehouse opens what an earlier one
 * sealed in the same DATABASE_URL.
 */
const RUN_MASTER_KEY = randomBytes(32).toString('base64');

/**
 * A database of its own on DATABASE_URL's server, dropped by `drop`, for a benchmark whose
 * Gatehouse must not share its job queues with the run's shared one (which would take its jobs
 * without its settings); undefined on the embedded database, where every Gatehouse has its own.
 */
export async function separateDatabase(): Promise<
  { url: string; drop: () => Promise<void> } | undefined
> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return undefined;
  const name = `gatehouse_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * The real application as main.ts starts it. The environment is spelled out rather than taken
 * from process.env so that a developer's .env settings (CORS, Redis, log level, argon2
 * parameters) cannot change what is measured. Only DATABASE_URL is honoured, to benchmark
 * against a real PostgreSQL, and with it MASTER_KEY: a database that already holds signing keys
 * opens only under the master key they were sealed with.
 */
export async function startGatehouse(
  announce: (message: string) => void,
  /** Settings a benchmark needs beyond these (a peer's URL), for a Gatehouse of its own. */
  env: Record<string, string> = {},
): Promise<GatehouseServer> {
  const config = loadConfig({
    HOST,
    PORT: '0',
    LOG_LEVEL: 'silent',
    PGLITE_DATA_DIR: 'memory://',
    MASTER_KEY: process.env.MASTER_KEY || RUN_MASTER_KEY,
    DATABASE_URL: process.env.DATABASE_URL,
    // One process, so its share of what runs at once (argon2 verifications) is the machine's,
    // not one worker's of as many as there are cores.
    WEB_CONCURRENCY: '1',
    // The delivery benchmark's receiver listens on loopback, which webhooks refuse otherwise.
    WEBHOOK_ALLOWED_HOSTS: HOST,
    // The federation benchmark's Okta peer and the token vault benchmark's identity provider listen
    // on loopback too.
    FEDERATION_ALLOWED_HOSTS: HOST,
    ...env,
  });
  const service = await startService(config, announce);
  try {
    return {
      name: `Gatehouse ${version}`,
      baseUrl: baseUrl(service.app.getHttpAdapter().getInstance().server.address()),
      close: () => service.close(),
      app: service.app,
      config,
      database: await describeDatabase(service.app, config.database.url),
    };
  } catch (error) {
    await service.close();
    throw error;
  }
}

/**
 * The framework ceiling: one route answering a fixed body, with nothing in front of it. With
 * `formBodies` it also parses `application/x-www-form-urlencoded` bodies, as an OAuth endpoint
 * must, which Fastify alone refuses with 415.
 */
export async function startBareFastify(route: {
  method: 'GET' | 'POST';
  path: string;
  body: unknown;
  formBodies?: boolean;
}): Promise<BenchServer> {
  const server = Fastify();
  if (route.formBodies) {
    server.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body: string, done) => done(null, new URLSearchParams(body)),
    );
  }
  server.route({ method: route.method, url: route.path, handler: () => route.body });
  await server.listen({ host: HOST, port: 0 });
  return {
    name: `bare Fastify ${server.version}`,
    baseUrl: baseUrl(server.server.address()),
    close: () => server.close(),
  };
}

/**
 * The framework alone: a Nest application on the same Fastify adapter with one POST route that
 * answers a fixed body, and nothing of Gatehouse's (no guards, pipes, hooks, headers, logging or
 * metrics). Between it and the bare route lies the cost of Nest's router; between it and
 * Gatehouse, the cost of what Gatehouse puts around every request.
 */
export async function startBareNest(route: { path: string; body: unknown }): Promise<BenchServer> {
  @Controller()
  class FixedAnswerController {
    @Post(route.path)
    @HttpCode(200)
    answer(): unknown {
      return route.body;
    }
  }
  @Module({ controllers: [FixedAnswerController] })
  class FixedAnswerModule {}

  const app = await NestFactory.create<NestFastifyApplication>(
    FixedAnswerModule,
    new FastifyAdapter(),
    { logger: false },
  );
  await app.listen({ host: HOST, port: 0 });
  return {
    name: `bare Nest ${nestVersion}`,
    baseUrl: baseUrl(app.getHttpAdapter().getInstance().server.address()),
    close: () => app.close(),
  };
}
