// Nest's decorators read design-time types through Reflect; load the polyfill before any of them.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { version } from '../package.json';
import { loadConfig } from '../src/config/load-config';
import { startService } from '../src/service';

/** A server under load: the URL requests go to and how to take the server down again. */
export interface BenchTarget {
  name: string;
  url: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
export const LIVENESS_PATH = '/health/live';

function targetUrl(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') {
    throw new Error(`expected a TCP address, got ${String(address)}`);
  }
  return `http://${HOST}:${address.port}${LIVENESS_PATH}`;
}

/**
 * The real application as main.ts starts it. The environment is spelled out rather than taken
 * from process.env so that a developer's .env settings (CORS, Redis, log level) cannot change
 * what is measured; only DATABASE_URL is honoured, to benchmark against a real PostgreSQL.
 */
export async function startGatehouse(
  announce: (message: string) => void,
): Promise<BenchTarget & { database: string }> {
  const config = loadConfig({
    HOST,
    PORT: '0',
    LOG_LEVEL: 'silent',
    PGLITE_DATA_DIR: 'memory://',
    // Throwaway, like the database: nothing sealed in this run outlives it.
    MASTER_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: process.env.DATABASE_URL,
  });
  const service = await startService(config, announce);
  return {
    name: `Gatehouse ${version}`,
    url: targetUrl(service.app.getHttpAdapter().getInstance().server.address()),
    close: () => service.close(),
    database: service.embeddedDatabase
      ? 'embedded PGlite (memory://)'
      : 'PostgreSQL at DATABASE_URL',
  };
}

/** The framework ceiling: the same response from Fastify with nothing in front of it. */
export async function startBareFastify(): Promise<BenchTarget> {
  const server = Fastify();
  server.get(LIVENESS_PATH, () => ({ status: 'ok', checks: {} }));
  await server.listen({ host: HOST, port: 0 });
  return {
    name: `bare Fastify ${server.version}`,
    url: targetUrl(server.server.address()),
    close: () => server.close(),
  };
}
