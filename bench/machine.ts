import os from 'node:os';

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
  ].join('\n');
}
