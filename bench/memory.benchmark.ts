import type { Benchmark } from './benchmark';
import { CHECK_PATH } from './authz-http-fixture';
import { renderSection } from './results-file';
import {
  compareServiceProcesses,
  peakRssNote,
  renderServiceComparison,
  serviceComparisonTargets,
} from './service-processes';

/** A cap on V8's old generation, above the service's live heap under load (about 75 MB). */
const OLD_SPACE_CAP_MB = 160;
/** A smaller young generation than V8's default (16 MB semi-spaces on 64-bit Node.js 20). */
const SEMI_SPACE_MB = 4;

export const memoryBenchmark: Benchmark = {
  id: 'memory',
  targets: serviceComparisonTargets(3),
  async run(context) {
    const capped = `--max-old-space-size=${OLD_SPACE_CAP_MB}`;
    const young = `--max-semi-space-size=${SEMI_SPACE_MB}`;
    const comparison = await compareServiceProcesses(context, 'memory', [
      { name: 'V8 defaults', node: process.execPath, workers: 1 },
      { name: capped, node: process.execPath, workers: 1, nodeOptions: capped },
      { name: young, node: process.execPath, workers: 1, nodeOptions: young },
    ]);
    return renderSection({
      title: 'Memory: RSS at rest and at peak under load, with V8’s defaults and two heap settings',
      description:
        'One process (`node dist/src/main.js`, WEB_CONCURRENCY=1) as an operator runs it, with ' +
        `V8’s own heap sizing, with NODE_OPTIONS=${capped} and with NODE_OPTIONS=${young} (a ` +
        'young generation a quarter of the default), measured in alternating rounds ' +
        `under the loads of the workers benchmark: the decision point (POST ${CHECK_PATH}, ` +
        `${comparison.checkQuestions} questions with a service token), refresh-token rotation ` +
        'chains and password logins (at most ARGON2_MAX_CONCURRENT verifications at once, by ' +
        'default 4, 19 MiB each). RSS at rest is read once each process answered its first ' +
        'requests, before the loads; the part mapped from files (the node binary, libraries) is ' +
        'shared between the processes of a machine. Peak RSS is VmHWM after all three loads. ' +
        'A smaller young generation is collected more often. Under a ' +
        'high allocation rate V8 lets the old generation grow far past the live heap before it ' +
        'collects; the cap makes it collect sooner, which costs CPU. A cap is a hard limit (the ' +
        'process ends when live data outgrows it), so it is an operator’s choice, not a default.',
      settings: comparison.settings,
      table: renderServiceComparison(comparison, [
        `${capped} / V8 defaults`,
        `${young} / V8 defaults`,
      ]),
      notes: [peakRssNote(comparison)],
    });
  },
};
