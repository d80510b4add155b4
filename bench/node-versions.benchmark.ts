import type { Benchmark } from './benchmark';
import { CHECK_PATH } from './authz-http-fixture';
import { node24, nodeVersion } from './node-24';
import { renderSection } from './results-file';
import {
  compareServiceProcesses,
  peakRssNote,
  renderServiceComparison,
  serviceComparisonTargets,
} from './service-processes';

export const nodeVersionsBenchmark: Benchmark = {
  id: 'node-versions',
  targets: serviceComparisonTargets(2),
  async run(context) {
    const machine = { node: process.execPath, version: process.version };
    const lts = await node24(context.progress);
    const ltsVersion = await nodeVersion(lts);
    const comparison = await compareServiceProcesses(context, 'nodes', [
      { name: `Node.js ${machine.version}`, node: machine.node, workers: 1 },
      { name: `Node.js ${ltsVersion}`, node: lts, workers: 1 },
    ]);
    return renderSection({
      title: `Node.js ${machine.version} against ${ltsVersion}`,
      description:
        'The same build (`dist/src/main.js`) and `node_modules` run by the machine’s Node.js and ' +
        `by Node.js 24 LTS (the npm registry’s \`node@24\`, or BENCH_NODE_24), one process each ` +
        '(WEB_CONCURRENCY=1), on the run’s PostgreSQL, measured in alternating rounds: the ' +
        `decision point (POST ${CHECK_PATH}, the check benchmark’s ${comparison.checkQuestions} ` +
        'questions with a service token), refresh-token rotation chains and password logins. ' +
        'Server CPU is the whole process’s.',
      settings: comparison.settings,
      table: renderServiceComparison(comparison, [`${ltsVersion} / ${machine.version}`]),
      notes: [peakRssNote(comparison)],
    });
  },
};
