import type { Benchmark } from './benchmark';
import { CHECK_PATH } from './authz-http-fixture';
import { renderSection } from './results-file';
import {
  compareServiceProcesses,
  peakRssNote,
  renderServiceComparison,
  SERVICE_COMPARISON_TARGETS,
} from './service-processes';

/** A cap on V8's old generation, above the service's live heap under load (about 75 MB). */
const OLD_SPACE_CAP_MB = 160;

export const memoryBenchmark: Benchmark = {
  id: 'memory',
  targets: SERVICE_COMPARISON_TARGETS,
  async run(context) {
    const capped = `--max-old-space-size=${OLD_SPACE_CAP_MB}`;
    const comparison = await compareServiceProcesses(context, 'memory', [
      { name: 'V8 defaults', node: process.execPath, workers: 1 },
      { name: capped, node: process.execPath, workers: 1, nodeOptions: capped },
    ]);
    return renderSection({
      title: 'Memory: peak RSS under load, with V8’s defaults and with a capped old generation',
      description:
        'One process (`node dist/src/main.js`, WEB_CONCURRENCY=1) as an operator runs it, with ' +
        `V8’s own heap sizing and with NODE_OPTIONS=${capped}, measured in alternating rounds ` +
        `under the loads of the workers benchmark: the decision point (POST ${CHECK_PATH}, ` +
        `${comparison.checkQuestions} questions with a service token), refresh-token rotation ` +
        'chains and password logins (at most ARGON2_MAX_CONCURRENT verifications at once, by ' +
        'default 4, 19 MiB each). Peak RSS is VmHWM after all three loads. Under a ' +
        'high allocation rate V8 lets the old generation grow far past the live heap before it ' +
        'collects; the cap makes it collect sooner, which costs CPU. A cap is a hard limit (the ' +
        'process ends when live data outgrows it), so it is an operator’s choice, not a default.',
      settings: comparison.settings,
      table: renderServiceComparison(comparison, `${capped} / V8 defaults`),
      notes: [peakRssNote(comparison)],
    });
  },
};
