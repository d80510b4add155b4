import autocannon from 'autocannon';
import type { BenchTarget } from './targets';

export interface LoadSettings {
  warmupS: number;
  durationS: number;
  rounds: number;
  connections: number;
  pipelining: number;
}

export interface Measurement {
  target: string;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

async function fire(
  target: BenchTarget,
  durationS: number,
  settings: LoadSettings,
): Promise<autocannon.Result> {
  const result = await autocannon({
    url: target.url,
    duration: durationS,
    connections: settings.connections,
    pipelining: settings.pipelining,
    // The servers share this process's main thread; generating load from a worker thread keeps
    // the client from competing with them for the same event loop.
    workers: 1,
  });
  const failures = result.errors + result.timeouts + result.non2xx + result.mismatches;
  if (failures > 0) {
    throw new Error(
      `${target.name}: ${result.errors} errors, ${result.timeouts} timeouts, ` +
        `${result.non2xx} non-2xx responses, ${result.mismatches} mismatches; ` +
        'figures from a failing server would be meaningless',
    );
  }
  return result;
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/**
 * Warms every target up, then measures them in turn (A, B, A, B, ...) so that drift on the
 * machine during the run (frequency scaling, noisy neighbours) lands on all targets alike.
 * Each figure is the mean over rounds.
 */
export async function compareTargets(
  targets: BenchTarget[],
  settings: LoadSettings,
  progress: (message: string) => void,
): Promise<Measurement[]> {
  for (const target of targets) {
    progress(`warm-up ${target.name} (${settings.warmupS} s)`);
    await fire(target, settings.warmupS, settings);
  }
  const runs = targets.map((): autocannon.Result[] => []);
  for (let round = 1; round <= settings.rounds; round++) {
    for (const [index, target] of targets.entries()) {
      const result = await fire(target, settings.durationS, settings);
      runs[index].push(result);
      progress(
        `round ${round}/${settings.rounds} ${target.name}: ${Math.round(result.requests.average)} req/s, ` +
          `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
      );
    }
  }
  return targets.map((target, index) => ({
    target: target.name,
    requestsPerSecond: mean(runs[index].map((r) => r.requests.average)),
    latencyP50Ms: mean(runs[index].map((r) => r.latency.p50)),
    latencyP99Ms: mean(runs[index].map((r) => r.latency.p99)),
  }));
}
