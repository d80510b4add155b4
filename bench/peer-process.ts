import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export const LOOPBACK = '127.0.0.1';

/** How long a peer may take to answer its health check after being started. */
const STARTUP_TIMEOUT_MS = 30_000;
/** How long a peer may take to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 5_000;
/** Lines of a peer's output kept to explain a failed start. */
const OUTPUT_LINES_KEPT = 40;

/** A server the benchmark started in a process of its own. */
export interface PeerProcess {
  pid: number;
  /** Stops the process: SIGTERM, then SIGKILL if it has not exited in time. */
  stop(): Promise<void>;
  /** The last lines it wrote, to explain a failure. */
  output(): string;
}

/** A TCP port free on loopback right now, for a peer that cannot listen on port 0 itself. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/** Peers still running, with their directories, stopped on the way out however the run ends. */
const running = new Map<ChildProcess, string | undefined>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The run's watchdog ends it with process.exit, where no finally block runs; a peer left
  // behind would hold its ports and cores for whatever runs next.
  process.on('exit', () => {
    for (const [child, directory] of running) {
      child.kill('SIGKILL');
      if (directory) rmSync(directory, { recursive: true, force: true });
    }
  });
}

/**
 * Starts `command`, then waits until `ready` resolves true (polled), failing if the process
 * exits first or is not ready in time. On failure the process is stopped before the error is
 * thrown, so nothing is left running. `directory` (the peer's configuration and data) is removed
 * when the peer is stopped.
 */
export async function startPeerProcess(options: {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  directory?: string;
  ready: () => Promise<boolean>;
}): Promise<PeerProcess> {
  installExitHook();
  const child = spawn(options.command, options.args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.set(child, options.directory);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - OUTPUT_LINES_KEPT));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const output = () => lines.join('\n');

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([exit.then(() => true), delay(STOP_TIMEOUT_MS, false)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exit;
      }
    }
    if (options.directory) await rm(options.directory, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      const failure = await Promise.race([spawnError, delay(100, undefined)]);
      if (failure) throw failure;
      if (exited) throw new Error(`${options.name} exited while starting`);
      if (await options.ready().catch(() => false)) break;
      if (Date.now() > deadline) {
        throw new Error(`${options.name} not ready after ${STARTUP_TIMEOUT_MS / 1000} s`);
      }
    }
    if (child.pid === undefined) throw new Error(`${options.name} has no process id`);
    return { pid: child.pid, stop, output };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; its last output:\n${output()}`, {
      cause: error,
    });
  }
}
