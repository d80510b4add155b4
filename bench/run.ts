import { relative } from 'node:path';
import { compareTargets, LoadSettings } from './load-generator';
import { describeMachine } from './machine';
import { renderComparisonTable, RESULTS_PATH, writeResultsSection } from './results-file';
import { BenchTarget, LIVENESS_PATH, startBareFastify, startGatehouse } from './targets';

/** Time to boot the app and its database, and to drain and close everything afterwards. */
const STARTUP_AND_SHUTDOWN_ALLOWANCE_S = 60;

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new Error(`${name} must be a whole number of at least 1, got "${raw}"`);
  }
  return Number(raw);
}

function readSettings(): LoadSettings {
  return {
    warmupS: 3,
    durationS: positiveInteger('BENCH_DURATION_S', 10),
    rounds: 2,
    connections: positiveInteger('BENCH_CONNECTIONS', 50),
    pipelining: 1,
  };
}

/**
 * Ends the process if the run outlives its budget (a server that stops answering, a handle that
 * never closes). Unreferenced, so it never keeps an otherwise finished process alive.
 */
function armWatchdog(settings: LoadSettings, targetCount: number): void {
  const budgetS =
    targetCount * (settings.warmupS + settings.rounds * settings.durationS) +
    STARTUP_AND_SHUTDOWN_ALLOWANCE_S;
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${budgetS} s; giving up\n`);
    process.exit(1);
  }, budgetS * 1000).unref();
}

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function main(): Promise<void> {
  const settings = readSettings();
  armWatchdog(settings, 2);
  const started: BenchTarget[] = [];
  try {
    const gatehouse = await startGatehouse(progress);
    started.push(gatehouse);
    const baseline = await startBareFastify();
    started.push(baseline);

    const [gatehouseFigures, baselineFigures] = await compareTargets(
      [gatehouse, baseline],
      settings,
      progress,
    );
    const table = renderComparisonTable([gatehouseFigures, baselineFigures], baselineFigures);
    writeResultsSection(
      'health-live',
      [
        `## Liveness probe: GET ${LIVENESS_PATH}`,
        '',
        'The full Gatehouse stack (Nest on Fastify, helmet, request id, pino-http at level silent, ' +
          'metrics hook, validation pipe and exception filter) against a bare Fastify route ' +
          'returning the same JSON body: the cost of the framework and middleware on the cheapest ' +
          'route, which touches no database.',
        '',
        describeMachine(),
        '',
        `**Settings**: ${settings.rounds} rounds of ${settings.durationS} s per target after a ` +
          `${settings.warmupS} s warm-up, ${settings.connections} connections, pipelining ` +
          `${settings.pipelining}, database: ${gatehouse.database}.`,
        '',
        table,
      ].join('\n'),
    );
    process.stdout.write(`${table}\n`);
    progress(`written to ${relative(process.cwd(), RESULTS_PATH)}`);
  } finally {
    for (const target of started.reverse()) await target.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
