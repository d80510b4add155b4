import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { resolve } from 'node:path';

/** Logical cores, the unit of the per-core figures. */
export function coreCount(): number {
  return os.cpus().length;
}

/** libuv's threadpool, which runs every argon2 call: UV_THREADPOOL_SIZE threads, 4 by default. */
export function threadpoolSize(): number {
  const configured = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(configured) && configured > 0 ? Math.min(configured, 1024) : 4;
}

/** The repository root, as seen from dist/bench/ where this runs. */
const PROJECT_ROOT = resolve(__dirname, '..', '..');

/** The commit measured, and whether the code it builds from differs from it. */
function describeCode(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const changed = git('status', '--porcelain', '--', 'src', 'migrations') !== '';
    return changed
      ? `commit ${commit} with uncommitted changes in src/ or migrations/`
      : `commit ${commit}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** What the figures were measured on; absolute figures only compare on the same machine. */
export function describeMachine(): string {
  const cpus = os.cpus();
  const memoryGiB = os.totalmem() / 1024 ** 3;
  return [
    '**Machine**',
    '',
    `- CPU: ${cpus[0]?.model.trim() ?? 'unknown'}, ${cpus.length} cores`,
    `- Memory: ${memoryGiB.toFixed(1)} GiB`,
    `- Node.js: ${process.version}`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Date: ${new Date().toISOString()}`,
    `- Code: ${describeCode()}`,
  ].join('\n');
}
