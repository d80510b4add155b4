import type { Benchmark } from './benchmark';
import { CHECK_PATH } from './authz-http-fixture';
import { createMemoryCgroup } from './memory-cgroup';
import { renderSection } from './results-file';
import { heapInUse } from './memory-breakdown';
import {
  compareServiceProcesses,
  peakRssNote,
  renderServiceComparison,
  serviceComparisonTargets,
  type ServiceComparison,
  type ServiceVariant,
} from './service-processes';

/** A cap on V8's old generation, above the service's live heap under load (about 75 MB). */
const OLD_SPACE_CAP_MB = 160;
/** A container's memory limit, as a Kubernetes pod spec commonly sets it. */
const CONTAINER_LIMIT_MIB = 512;
/** V8's young generation on a machine with 2 GB or more, which it shrinks with a smaller heap. */
const SEMI_SPACE_MB = 16;

export const memoryBenchmark: Benchmark = {
  id: 'memory',
  targets: serviceComparisonTargets(4),
  async run(context) {
    const capped = `--max-old-space-size=${OLD_SPACE_CAP_MB}`;
    const container = `in a ${CONTAINER_LIMIT_MIB} MiB container`;
    const young = `--max-semi-space-size=${SEMI_SPACE_MB}`;
    const cgroups = [
      createMemoryCgroup(CONTAINER_LIMIT_MIB, 'defaults'),
      createMemoryCgroup(CONTAINER_LIMIT_MIB, 'young'),
    ];
    const [inContainer, inContainerYoung] = cgroups;
    const variants: ServiceVariant[] = [
      { name: 'V8 defaults', node: process.execPath, workers: 1, heapSnapshot: true },
      { name: capped, node: process.execPath, workers: 1, nodeOptions: capped },
      ...(inContainer && inContainerYoung
        ? [
            { name: container, node: process.execPath, workers: 1, cgroup: inContainer },
            {
              name: `${container}, ${young}`,
              node: process.execPath,
              workers: 1,
              cgroup: inContainerYoung,
              nodeOptions: young,
            },
          ]
        : []),
    ];
    let comparison;
    try {
      comparison = await compareServiceProcesses(context, 'memory', variants);
    } finally {
      for (const cgroup of cgroups) cgroup?.remove();
    }
    return renderSection({
      title:
        'Memory: RSS at rest and at peak under load, with V8’s defaults, a heap cap and a container’s limit',
      description:
        'One process (`node dist/src/main.js`, WEB_CONCURRENCY=1) as an operator runs it: with ' +
        `V8’s own heap sizing on this machine, with NODE_OPTIONS=${capped}, and without any ` +
        `setting inside a memory cgroup limited to ${CONTAINER_LIMIT_MIB} MiB, as a container ` +
        'runtime runs a container with that limit (Node.js sizes V8’s heap from the memory it ' +
        'may use, the cgroup’s limit where there is one, and otherwise the machine’s; with a ' +
        'smaller heap V8 also gives the young generation less room, where every request’s ' +
        `objects are made), and there again with NODE_OPTIONS=${young}, the young generation ` +
        'V8 gives a process on a machine of 2 GB or more. Measured ' +
        'in alternating rounds under the loads of the workers benchmark: the decision point ' +
        `(POST ${CHECK_PATH}, ${comparison.checkQuestions} questions with a service token), ` +
        'refresh-token rotation chains and password logins (at most ARGON2_MAX_CONCURRENT ' +
        'verifications at once, by default as many as the cores, 19 MiB each). RSS at rest is ' +
        'read once each process answered its first requests, before the loads; the part mapped ' +
        'from files (the node binary, libraries) is shared between the processes of a machine. ' +
        'Peak RSS is VmHWM after all three loads. Under a high allocation rate V8 lets the old ' +
        'generation grow far past the live heap before it collects, the further the larger the ' +
        'heap it may have; a cap or a smaller limit makes it collect sooner, which costs CPU. A ' +
        'cap is a hard limit (the process ends when live data outgrows it), so it is an ' +
        'operator’s choice, as is a container’s limit.',
      settings: comparison.settings,
      table: renderServiceComparison(
        comparison,
        variants.slice(1).map((variant) => `${variant.name} / V8 defaults`),
      ),
      notes: [
        ...(inContainer && inContainerYoung
          ? []
          : [
              `Not measured ${container}: this machine gave the benchmark no memory cgroup to ` +
                'make (cgroup v2 with the memory controller delegated, or v1’s memory hierarchy, ' +
                'writable).',
            ]),
        ...liveHeapNotes(comparison),
        peakRssNote(comparison),
      ],
    });
  },
};

/** What the heap snapshot after the loads found live, against the heap in use at the highest reading. */
function liveHeapNotes(comparison: ServiceComparison): string[] {
  return comparison.liveHeaps.map(({ server, heap }) => {
    const f = (value: number) => value.toFixed(1);
    const highest = comparison.breakdowns.find((row) => row.server === server)?.highest;
    const inUse = highest && heapInUse(highest);
    return (
      `${server}: a heap snapshot after the loads (V8 collects first) holds ${f(heap.total)} MiB ` +
      `live: strings ${f(heap.strings)} (of them the source text of loaded modules ` +
      `${f(heap.moduleSources)}), compiled code and its metadata ${f(heap.code)}, arrays ` +
      `${f(heap.arrays)}, objects ${f(heap.objects)}, closures ${f(heap.closures)}, the rest ` +
      `${f(heap.other)}.` +
      (inUse === undefined
        ? ''
        : ` At the highest reading V8’s heap had ${f(inUse)} MiB in use: ` +
          `${f(Math.max(0, inUse - heap.total))} MiB more than is live, garbage it had not ` +
          'yet collected.')
    );
  });
}
