import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the benchmark installs Node.js 24 when BENCH_NODE_24 names none (ignored by git). */
const PREFIX = join(__dirname, '..', '..', 'var', 'bench', 'node-24');
const BINARY = join(PREFIX, 'node_modules', 'node', 'bin', 'node');

/**
 * A Node.js 24 binary beside the machine's own, which is left alone: BENCH_NODE_24 when set,
 * else the npm registry's `node@24` package (whose install script fetches the official binary
 * of its version) installed once into var/bench/node-24, as CI installs it for its Node 24 pass.
 * The service's native addons (the argon2 bindings) are Node-API modules, so the tree installed
 * for the machine's Node.js loads on it as it is.
 */
export async function node24(progress: (message: string) => void): Promise<string> {
  const binary = process.env.BENCH_NODE_24 ?? BINARY;
  if (!process.env.BENCH_NODE_24 && !existsSync(BINARY)) {
    progress(`installing node@24 from the npm registry into ${PREFIX}`);
    await run('npm', [
      'install',
      '--prefix',
      PREFIX,
      '--no-save',
      '--no-audit',
      '--no-fund',
      'node@24',
    ]);
  }
  const { stdout } = await run(binary, ['-v']);
  const version = stdout.trim();
  if (!version.startsWith('v24.')) throw new Error(`${binary} is Node.js ${version}, not 24`);
  return binary;
}

/** `node -v` of a binary. */
export async function nodeVersion(binary: string): Promise<string> {
  return (await run(binary, ['-v'])).stdout.trim();
}
