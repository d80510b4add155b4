import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The built entry point, exactly what `npm start` runs (`npm test` builds it first). */
export const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');
/** The built CLI, exactly what `npm run cli` runs. */
export const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

export type ServiceProcess = ChildProcess & { output: () => string };

/** Fails early, with the fix, when the service has not been built. */
export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build`);
}

/** Starts the built service as a deployment would, in production mode unless told otherwise. */
export function runService(env: Record<string, string>, args: string[] = []): ServiceProcess {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
      // Nothing listens there: the pool connects on the first mail, which no test sends.
      SMTP_URL: 'smtp://127.0.0.1:9',
      // One process, whatever the cores, unless a test asks for workers (test/cluster.e2e-spec.ts).
      WEB_CONCURRENCY: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
}

export const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls a path of the service until it answers `status` (30 s at most), and asserts it did. */
export async function waitForStatus(port: number, path: string, status: number): Promise<void> {
  let seen = 0;
  for (let attempt = 0; attempt < 120 && seen !== status; attempt++) {
    await sleep(250);
    seen = await fetch(`http://127.0.0.1:${port}${path}`).then(
      (res) => res.status,
      () => 0,
    );
  }
  expect(seen).toBe(status);
}

/** Creates a service client holding `scopes` with the CLI; its client_id and secret. */
export async function createClientWithCli(
  env: Record<string, string>,
  name: string,
  scopes: string,
): Promise<{ clientId: string; secret: string }> {
  const child = spawn(
    process.execPath,
    [CLI, 'clients:create', '--name', name, '--scopes', scopes],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`clients:create failed: ${output}`);
  const clientId = /client_id:\s+(\S+)/.exec(output)?.[1];
  const secret = /client_secret:\s+(\S+)/.exec(output)?.[1];
  if (!clientId || !secret) throw new Error(`clients:create printed no credentials: ${output}`);
  return { clientId, secret };
}
