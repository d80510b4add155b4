import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A memory cgroup the benchmark made, as a container runtime makes one for each container. */
export interface MemoryCgroup {
  limitMib: number;
  /** A process that writes its pid here joins the group (and so do the processes it starts). */
  procsFile: string;
  /** Once no process is left in it. */
  remove(): void;
}

const HIERARCHIES = [
  {
    // cgroup v2, where the root delegates the memory controller to its children.
    root: '/sys/fs/cgroup',
    usable: (root: string) =>
      existsSync(join(root, 'cgroup.subtree_control')) &&
      readFileSync(join(root, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('memory'),
    limitFile: 'memory.max',
  },
  {
    // cgroup v1's memory hierarchy.
    root: '/sys/fs/cgroup/memory',
    usable: (root: string) => existsSync(join(root, 'memory.limit_in_bytes')),
    limitFile: 'memory.limit_in_bytes',
  },
];

/**
 * A memory cgroup limited to `limitMib`, one per container (`name`); undefined where this process
 * may not make one (no cgroup file system with a memory controller, or no right to write it).
 */
export function createMemoryCgroup(limitMib: number, name: string): MemoryCgroup | undefined {
  for (const { root, usable, limitFile } of HIERARCHIES) {
    if (!usable(root)) continue;
    const directory = join(root, `gatehouse-bench-${process.pid}-${name}`);
    try {
      mkdirSync(directory);
    } catch {
      continue;
    }
    try {
      writeFileSync(join(directory, limitFile), String(limitMib * 1024 * 1024));
    } catch {
      rmdirSync(directory);
      continue;
    }
    return {
      limitMib,
      procsFile: join(directory, 'cgroup.procs'),
      remove: () => rmdirSync(directory),
    };
  }
  return undefined;
}
