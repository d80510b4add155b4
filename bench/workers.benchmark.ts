import type { Benchmark } from './benchmark';
import { CHECK_PATH } from './authz-http-fixture';
import { renderSection } from './results-file';
import {
  compareServiceProcesses,
  peakRssNote,
  renderServiceComparison,
  serviceComparisonTargets,
} from './service-processes';

export const workersBenchmark: Benchmark = {
  id: 'workers',
  targets: serviceComparisonTargets(2),
  async run(context) {
    const comparison = await compareServiceProcesses(context, 'workers', [
      { name: '1 worker', node: process.execPath, workers: 1 },
      { name: '2 workers', node: process.execPath, workers: 2 },
    ]);
    return renderSection({
      title: 'Every core: WEB_CONCURRENCY=1 against 2',
      description:
        'The service as an operator runs it (`node dist/src/main.js`), once with one worker ' +
        'process and once with two (`WEB_CONCURRENCY`), both behind their primary on one port, ' +
        'on the run’s PostgreSQL, measured in alternating rounds: the decision point ' +
        `(POST ${CHECK_PATH}, the check benchmark’s ${comparison.checkQuestions} questions with a ` +
        'service token), refresh-token rotation chains and password logins. Server CPU is the ' +
        'primary’s and every worker’s together. The load generator and PostgreSQL run on the same ' +
        'cores, so two workers cannot double a rate the machine already spends on them.',
      settings: comparison.settings,
      table: renderServiceComparison(comparison, ['2 workers / 1 worker']),
      notes: [peakRssNote(comparison)],
    });
  },
};
