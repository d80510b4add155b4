import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The signal on which a service process started with `heapSnapshotOptions` writes a snapshot. */
const SNAPSHOT_SIGNAL = 'SIGUSR2';
/** How long writing a snapshot may take on a slow machine (the process is paused meanwhile). */
const SNAPSHOT_TIMEOUT_MS = 120_000;
const POLL_MS = 500;

/**
 * What a heap snapshot holds (V8 collects garbage before it writes one): the live heap, in MiB,
 * by kind of object. `moduleSources` is the part of `strings` that is the source text of loaded
 * modules, which V8 keeps to compile functions on their first call.
 */
export interface HeapSummary {
  total: number;
  strings: number;
  moduleSources: number;
  code: number;
  arrays: number;
  objects: number;
  closures: number;
  other: number;
}

/**
 * A directory for a process's snapshots (to be removed with the process), and the NODE_OPTIONS
 * that make it write them there.
 */
export function heapSnapshotOptions(): { directory: string; nodeOptions: string } {
  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-heap-'));
  return {
    directory,
    nodeOptions: `--heapsnapshot-signal=${SNAPSHOT_SIGNAL} --diagnostic-dir=${directory}`,
  };
}

/**
 * Signals the process `pid` (started with `heapSnapshotOptions`) to write a snapshot into
 * `directory`, waits until it is whole, and summarizes it.
 */
export async function snapshotHeap(pid: number, directory: string): Promise<HeapSummary> {
  process.kill(pid, SNAPSHOT_SIGNAL);
  const deadline = Date.now() + SNAPSHOT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    const [name] = readdirSync(directory).filter((file) => file.endsWith('.heapsnapshot'));
    if (!name) continue;
    const path = join(directory, name);
    const size = statSync(path).size;
    await sleep(POLL_MS);
    // Still being written: its size grows, or the JSON is not yet whole.
    if (statSync(path).size !== size) continue;
    try {
      return summarize(JSON.parse(readFileSync(path, 'utf8')) as Snapshot);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
  }
  throw new Error(`process ${pid} wrote no whole heap snapshot in ${SNAPSHOT_TIMEOUT_MS} ms`);
}

/** The parts of V8's snapshot format (`.heapsnapshot`, JSON) the summary reads. */
interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);
const KINDS: Record<string, keyof Omit<HeapSummary, 'total' | 'moduleSources'>> = {
  string: 'strings',
  'concatenated string': 'strings',
  'sliced string': 'strings',
  code: 'code',
  array: 'arrays',
  object: 'objects',
  closure: 'closures',
};

/**
 * Sums each object's own size by kind. A module's source is the string a script (a `code`
 * object named after the module's file) holds by its internal `source` edge.
 */
function summarize({ snapshot: { meta }, nodes, edges, strings }: Snapshot): HeapSummary {
  const nodeFields = meta.node_fields.length;
  const edgeFields = meta.edge_fields.length;
  const type = meta.node_fields.indexOf('type');
  const selfSize = meta.node_fields.indexOf('self_size');
  const edgeCount = meta.node_fields.indexOf('edge_count');
  const edgeType = meta.edge_fields.indexOf('type');
  const edgeName = meta.edge_fields.indexOf('name_or_index');
  const edgeTo = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const summary: HeapSummary = {
    total: 0,
    strings: 0,
    moduleSources: 0,
    code: 0,
    arrays: 0,
    objects: 0,
    closures: 0,
    other: 0,
  };
  const sources = new Set<number>();
  let edge = 0;
  for (let node = 0; node < nodes.length; node += nodeFields) {
    const kind = nodeTypes[nodes[node + type]];
    const size = nodes[node + selfSize];
    summary.total += size;
    summary[KINDS[kind] ?? 'other'] += size;
    const end = edge + nodes[node + edgeCount] * edgeFields;
    if (kind === 'code') {
      for (let at = edge; at < end; at += edgeFields) {
        const to = edges[at + edgeTo];
        if (
          edgeTypes[edges[at + edgeType]] === 'internal' &&
          strings[edges[at + edgeName]] === 'source' &&
          STRING_TYPES.has(nodeTypes[nodes[to + type]]) &&
          !sources.has(to)
        ) {
          sources.add(to);
          summary.moduleSources += nodes[to + selfSize];
        }
      }
    }
    edge = end;
  }
  return Object.fromEntries(
    Object.entries(summary).map(([key, bytes]) => [key, bytes / (1024 * 1024)]),
  ) as unknown as HeapSummary;
}
