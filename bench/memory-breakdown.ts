import { residentMemoryMib, type ResidentMemory } from './process-cpu';

/** V8's heap spaces the breakdown names; the others (read-only, shared) hold nothing here. */
const SPACES = ['new', 'old', 'code', 'large_object'] as const;
type Space = (typeof SPACES)[number];

/** How often the sampler reads a process while the loads run. */
const SAMPLE_INTERVAL_MS = 250;

/**
 * Where a process's resident memory is at one moment, in MiB: its RSS and the part mapped from
 * files (from /proc), and V8's heap spaces as the service's own `GET /metrics` reports them
 * (prom-client's `nodejs_heap_space_size_*`): committed, and of it in use (live objects and
 * garbage not yet collected).
 */
export interface MemoryBreakdown extends ResidentMemory {
  heap: Record<Space, { committed: number; used: number }>;
}

const MIB = 1024 * 1024;

function heapSpaces(metrics: string): MemoryBreakdown['heap'] | undefined {
  const figure = (kind: 'total' | 'used', space: Space) => {
    const line = new RegExp(
      `^nodejs_heap_space_size_${kind}_bytes\\{space="${space}"\\} (\\d+)$`,
      'm',
    );
    const match = line.exec(metrics);
    return match ? Number(match[1]) / MIB : undefined;
  };
  const heap = {} as MemoryBreakdown['heap'];
  for (const space of SPACES) {
    const committed = figure('total', space);
    const used = figure('used', space);
    if (committed === undefined || used === undefined) return undefined;
    heap[space] = { committed, used };
  }
  return heap;
}

/** One reading of the process `pid` answering at `baseUrl`; undefined where one is missing. */
export async function readMemoryBreakdown(
  pid: number,
  baseUrl: string,
): Promise<MemoryBreakdown | undefined> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics of ${pid}: ${response.status}`);
  const heap = heapSpaces(await response.text());
  // Read right after the heap figures, so that both describe one moment.
  const resident = residentMemoryMib(pid);
  return heap && resident ? { ...resident, heap } : undefined;
}

/**
 * Reads the process every SAMPLE_INTERVAL_MS until `stop`, which answers the reading with the
 * highest RSS. VmHWM can lie between two readings, so the highest reading is at most the peak.
 */
export function sampleHighestMemory(
  pid: number,
  baseUrl: string,
): { stop(): Promise<MemoryBreakdown | undefined> } {
  let highest: MemoryBreakdown | undefined;
  let failure: Error | undefined;
  let reading: Promise<void> | undefined;
  const timer = setInterval(() => {
    // A reading still waiting on a busy server is not doubled.
    if (reading) return;
    reading = readMemoryBreakdown(pid, baseUrl)
      .then(
        (sample) => {
          if (sample && (!highest || sample.rss > highest.rss)) highest = sample;
        },
        (error: unknown) => {
          failure ??= error instanceof Error ? error : new Error(String(error));
        },
      )
      .finally(() => {
        reading = undefined;
      });
  }, SAMPLE_INTERVAL_MS);
  // A run that fails before `stop` must not be kept alive by its sampler.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await reading;
      if (failure) throw failure;
      return highest;
    },
  };
}

/** V8's heap as committed, in MiB: every space the breakdown names. */
const heapCommitted = ({ heap }: MemoryBreakdown): number =>
  SPACES.reduce((sum, space) => sum + heap[space].committed, 0);

/** The part of V8's heap in use (live objects and garbage not yet collected), in MiB. */
export const heapInUse = ({ heap }: MemoryBreakdown): number =>
  SPACES.reduce((sum, space) => sum + heap[space].used, 0);

const figure = (value: number) => value.toFixed(0);

/** A table row: RSS, files, V8's spaces (committed, with the old space's part in use), the rest. */
export function breakdownCells(breakdown: MemoryBreakdown | undefined): string[] {
  if (!breakdown) return Array.from({ length: 7 }, () => 'n/a');
  const { rss, file, heap } = breakdown;
  return [
    figure(rss),
    figure(file),
    figure(heap.new.committed),
    `${figure(heap.old.committed)} (${figure(heap.old.used)})`,
    figure(heap.code.committed),
    figure(heap.large_object.committed),
    figure(rss - file - heapCommitted(breakdown)),
  ];
}

export const BREAKDOWN_HEADER =
  '| RSS | mapped from files | V8 new space | V8 old space (in use) | V8 code | V8 large objects | ' +
  'the rest: native |';
