import { readFileSync } from 'node:fs';

/**
 * CPU time the calling thread has used so far, in nanoseconds, from Linux's
 * `/proc/thread-self/schedstat` (its first field); undefined where there is no such file.
 * Called on the main thread, where every target's event loop runs, it leaves out the load
 * generator's worker thread, which `process.cpuUsage()` would count in.
 */
export function threadCpuNanoseconds(): number | undefined {
  let schedstat: string;
  try {
    schedstat = readFileSync('/proc/thread-self/schedstat', 'utf8');
  } catch {
    return undefined;
  }
  const onCpu = Number(schedstat.split(' ')[0]);
  return Number.isFinite(onCpu) ? onCpu : undefined;
}
