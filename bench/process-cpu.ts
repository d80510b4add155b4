import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { threadCpuNanoseconds } from './thread-cpu';

/**
 * A server's CPU clock over one measured interval: `start` reads it once, and the function it
 * returns gives the CPU time (ns) the server has used since, or undefined where it cannot be read.
 */
export type CpuMeter = () => () => number | undefined;

/** The main thread of this process, where every in-process target's event loop runs. */
export const mainThreadCpu: CpuMeter = () => {
  const before = threadCpuNanoseconds();
  return () => {
    const after = threadCpuNanoseconds();
    return before === undefined || after === undefined ? undefined : after - before;
  };
};

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Every thread of this process that exists when the interval starts: the in-process server's
 * main thread, V8's helper threads and libuv's threadpool, but not the load generator, whose
 * worker thread autocannon starts afresh for each run. A thread that ends during the interval
 * takes its time with it; the server's threads live as long as the process.
 */
export const ownProcessCpu: CpuMeter = () => {
  const threads = (() => {
    try {
      return readdirSync('/proc/self/task');
    } catch {
      return [];
    }
  })();
  const read = () => {
    const times = new Map<string, number>();
    for (const thread of threads) {
      const schedstat = readOrUndefined(`/proc/self/task/${thread}/schedstat`);
      const onCpu = Number(schedstat?.split(' ')[0]);
      if (Number.isFinite(onCpu)) times.set(thread, onCpu);
    }
    return times;
  };
  const before = read();
  return () => {
    if (before.size === 0) return undefined;
    let used = 0;
    for (const [thread, onCpu] of read()) used += onCpu - (before.get(thread) ?? onCpu);
    return used;
  };
};

/**
 * The threads of this process but its main thread, as `ownProcessCpu` takes them: libuv's
 * threadpool (where argon2 verifies) and V8's helper threads (garbage collection, compilation).
 */
export const helperThreadsCpu: CpuMeter = () => {
  const main = String(process.pid);
  const threads = (() => {
    try {
      return readdirSync('/proc/self/task').filter((thread) => thread !== main);
    } catch {
      return [];
    }
  })();
  const read = () =>
    threads.map((thread) => {
      const onCpu = Number(readOrUndefined(`/proc/self/task/${thread}/schedstat`)?.split(' ')[0]);
      return Number.isFinite(onCpu) ? onCpu : undefined;
    });
  const before = read();
  return () => {
    if (threads.length === 0) return undefined;
    // A thread that ended during the interval took its time with it: it counts as none.
    return read().reduce<number>((used, onCpu, index) => {
      const started = before[index];
      return onCpu === undefined || started === undefined ? used : used + onCpu - started;
    }, 0);
  };
};

/** The ids of every process of this machine, as /proc lists them. */
function processIds(): string[] {
  try {
    return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
}

/** Every process of this machine whose command is `postgres`: a local server and its backends. */
function postgresPids(): number[] {
  return processIds()
    .filter((entry) => readOrUndefined(`/proc/${entry}/comm`)?.trim() === 'postgres')
    .map(Number);
}

/**
 * A PostgreSQL server on this machine, all its processes as they are when the interval starts
 * (the pool's backends live as long as their connections). Undefined where none runs here.
 */
export const localPostgresCpu: CpuMeter = () => {
  // Each PostgreSQL process has one thread, whose schedstat counts nanoseconds (stat: ticks).
  const read = (pid: number) => Number(readOrUndefined(`/proc/${pid}/schedstat`)?.split(' ')[0]);
  const before = postgresPids().map((pid) => ({ pid, onCpu: read(pid) }));
  if (before.length === 0) return () => undefined;
  return () =>
    before.reduce((used, { pid, onCpu }) => {
      const after = read(pid);
      // A backend that exits during the interval takes its time with it: it counts as none.
      return Number.isFinite(after) && Number.isFinite(onCpu) ? used + after - onCpu : used;
    }, 0);
};

let clockTicksPerSecond: number | undefined;

/** The unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on nearly every Linux). */
function clockTicks(): number {
  if (clockTicksPerSecond === undefined) {
    let ticks = 100;
    try {
      const configured = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      if (Number.isInteger(configured) && configured > 0) ticks = configured;
    } catch {
      // getconf missing: Linux's USER_HZ is 100 everywhere it is not configured otherwise.
    }
    clockTicksPerSecond = ticks;
  }
  return clockTicksPerSecond;
}

/** User plus system CPU time of a whole process (all its threads, living and ended), in ns. */
function processCpuNanoseconds(pid: number): number | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name, in parentheses, may hold spaces; the fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks / clockTicks()) * 1e9 : undefined;
}

/** Another process, such as a peer server the benchmark started: all its threads. */
export function childProcessCpu(pid: number): CpuMeter {
  return () => {
    const before = processCpuNanoseconds(pid);
    return () => {
      const after = processCpuNanoseconds(pid);
      return before === undefined || after === undefined ? undefined : after - before;
    };
  };
}

/** The processes whose parent is `pid` (a cluster's workers), read from /proc. */
export function childPids(pid: number): number[] {
  return processIds()
    .filter((entry) => {
      const stat = readOrUndefined(`/proc/${entry}/stat`);
      // ppid is the second field after the parenthesised command name.
      return (
        stat !== undefined && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid
      );
    })
    .map(Number);
}

/**
 * A process and its children as they are when the interval starts (a cluster's primary and its
 * workers), all their threads.
 */
export function processTreeCpu(pid: number): CpuMeter {
  return () => {
    const meters = [pid, ...childPids(pid)].map((one) => childProcessCpu(one)());
    return () => {
      const used = meters.map((meter) => meter());
      return used.some((value) => value === undefined)
        ? undefined
        : used.reduce<number>((sum, value) => sum + value!, 0);
    };
  };
}

/** The peak resident memory (VmHWM) of a process, in MiB; undefined where it cannot be read. */
export function peakRssMib(pid: number): number | undefined {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readOrUndefined(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) / 1024 : undefined;
}

/** A process's resident memory now, in MiB: all of it, and the part mapped from files. */
export interface ResidentMemory {
  rss: number;
  /** Pages of files (the node binary, shared libraries, native addons): shared between processes. */
  file: number;
}

/** The resident memory of a process now (VmRSS, RssFile); undefined where it cannot be read. */
export function residentMemoryMib(pid: number): ResidentMemory | undefined {
  const status = readOrUndefined(`/proc/${pid}/status`) ?? '';
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  const file = /^RssFile:\s+(\d+) kB/m.exec(status);
  return rss && file ? { rss: Number(rss[1]) / 1024, file: Number(file[1]) / 1024 } : undefined;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * An in-process server's CPU in parts: its main thread (the event loop), its other threads
 * (libuv's threadpool, V8's helpers) and, when `databaseUrl` names a PostgreSQL on this machine,
 * that server's processes. On the embedded database (no URL) PGlite runs on the main thread.
 */
export function inProcessServerCpuParts(databaseUrl: string | undefined): Record<string, CpuMeter> {
  const local = databaseUrl !== undefined && LOOPBACK_HOSTS.has(new URL(databaseUrl).hostname);
  return {
    'main thread': mainThreadCpu,
    'threadpool and V8 helpers': helperThreadsCpu,
    ...(local ? { PostgreSQL: localPostgresCpu } : {}),
  };
}
