import { relative } from 'node:path';
import { authzCerbosBenchmark } from './authz-cerbos.benchmark';
import { auditLogBenchmark } from './audit-log.benchmark';
import { authzEngineBenchmark } from './authz-engine.benchmark';
import type { Benchmark } from './benchmark';
import { DECISION_POINT_BENCHMARKS } from './decision-point.benchmarks';
import { federationSyncBenchmark } from './federation-sync.benchmark';
import { healthLiveBenchmark } from './health-live.benchmark';
import { hrOnboardingBenchmark } from './hr-onboarding.benchmark';
import type { LoadSettings } from './load-generator';
import { loginBenchmark } from './login.benchmark';
import { memoryBenchmark } from './memory.benchmark';
import { nodeVersionsBenchmark } from './node-versions.benchmark';
import { oauthOidcProviderBenchmark } from './oauth-oidc-provider.benchmark';
import { privacyBenchmark } from './privacy.benchmark';
import { refreshBenchmark } from './refresh.benchmark';
import { RESULTS_PATH, writeResultsSection } from './results-file';
import { scimBenchmark } from './scim.benchmark';
import { GatehouseServer, startGatehouse } from './targets';
import { tokenVaultBenchmark } from './token-vault.benchmark';
import { TRADING_ACCOUNT_BENCHMARKS } from './trading-accounts.benchmarks';
import { usersMeBenchmark } from './users-me.benchmark';
import { webhookDeliveryBenchmark } from './webhook-delivery.benchmark';
import { workersBenchmark } from './workers.benchmark';

/** Every benchmark, in the order `npm run bench` runs them. */
const BENCHMARKS: Benchmark[] = [
  healthLiveBenchmark,
  loginBenchmark,
  refreshBenchmark,
  usersMeBenchmark,
  authzEngineBenchmark,
  ...DECISION_POINT_BENCHMARKS,
  authzCerbosBenchmark,
  oauthOidcProviderBenchmark,
  webhookDeliveryBenchmark,
  auditLogBenchmark,
  privacyBenchmark,
  workersBenchmark,
  nodeVersionsBenchmark,
  memoryBenchmark,
  scimBenchmark,
  federationSyncBenchmark,
  hrOnboardingBenchmark,
  tokenVaultBenchmark,
  ...TRADING_ACCOUNT_BENCHMARKS,
];

/** Time to boot the app and its database, and to drain and close everything afterwards. */
const STARTUP_AND_SHUTDOWN_ALLOWANCE_S = 60;
/** Time a benchmark may spend on its own setup: accounts, sign-ins, a bare server. */
const BENCHMARK_SETUP_ALLOWANCE_S = 30;
/** Targets a benchmark compares when it does not say. */
const DEFAULT_TARGETS = 2;

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
  };
}

/** The benchmarks named on the command line, all of them when none is. */
function selectBenchmarks(ids: string[]): Benchmark[] {
  const unknown = ids.filter((id) => !BENCHMARKS.some((benchmark) => benchmark.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark ${unknown.join(', ')}; ` +
        `choose from ${BENCHMARKS.map((benchmark) => benchmark.id).join(', ')}`,
    );
  }
  return ids.length === 0 ? BENCHMARKS : BENCHMARKS.filter(({ id }) => ids.includes(id));
}

/**
 * Ends the process if the run outlives its budget (a server that stops answering, a handle that
 * never closes). Unreferenced, so it never keeps an otherwise finished process alive.
 */
function armWatchdog(settings: LoadSettings, benchmarks: Benchmark[]): void {
  const perTargetS = settings.warmupS + settings.rounds * settings.durationS;
  const budgetS =
    benchmarks.reduce(
      (sum, { targets = DEFAULT_TARGETS, budgetSeconds }) =>
        sum + (budgetSeconds ?? targets * perTargetS) + BENCHMARK_SETUP_ALLOWANCE_S,
      0,
    ) + STARTUP_AND_SHUTDOWN_ALLOWANCE_S;
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${budgetS} s; giving up\n`);
    process.exit(1);
  }, budgetS * 1000).unref();
}

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function main(): Promise<void> {
  const settings = readSettings();
  const benchmarks = selectBenchmarks(process.argv.slice(2));
  armWatchdog(settings, benchmarks);
  let gatehouse: Promise<GatehouseServer> | undefined;
  try {
    for (const benchmark of benchmarks) {
      const section = await benchmark.run({
        settings,
        gatehouse: () => (gatehouse ??= startGatehouse(progress)),
        progress: (message) => progress(`${benchmark.id}: ${message}`),
      });
      // Written at once, so a later benchmark's failure keeps this one's figures.
      writeResultsSection(benchmark.id, section);
      process.stdout.write(`${section}\n\n`);
      progress(`${benchmark.id}: written to ${relative(process.cwd(), RESULTS_PATH)}`);
    }
  } finally {
    // A start that failed has already closed whatever it had opened.
    await gatehouse?.then(
      (server) => server.close(),
      () => undefined,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
