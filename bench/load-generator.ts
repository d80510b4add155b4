import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';
import { CONNECTION_SETUP_MODULE, ConnectionPlan, writePlan } from './connection-plan';
import { type CpuMeter, mainThreadCpu } from './process-cpu';

export interface LoadSettings {
  warmupS: number;
  durationS: number;
  rounds: number;
  /** Connections for HTTP loads that do not set their own. */
  connections: number;
}

export interface Sample {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /**
   * CPU time of the server (by default the main thread, where in-process servers run) per
   * answered request, in µs: what a request costs the server whether it or the load generator
   * saturates first. HTTP targets on Linux only.
   */
  serverCpuMicrosPerRequest?: number;
  /** The server's CPU time over the wall time of the measurement: how many cores it kept busy. */
  serverCores?: number;
  /**
   * Where the server CPU per request went, in µs, when it was measured in parts (the main
   * thread, the threadpool, the database): their sum is `serverCpuMicrosPerRequest`. A part
   * that cannot be read here is left out.
   */
  serverCpuParts?: Record<string, number>;
}

export interface Measurement extends Sample {
  target: string;
  /** The slowest and the fastest round: how much the machine drifted during the run. */
  requestsPerSecondRange: [number, number];
}

/** Something whose rate can be measured for a while: an HTTP endpoint under load, a raw loop. */
export interface LoadTarget {
  name: string;
  measure(durationS: number): Promise<Sample>;
}

export interface HttpLoad {
  url: string;
  connections: number;
  headers?: Record<string, string>;
  /** Requests that differ between connections; otherwise every connection GETs the URL. */
  plan?: ConnectionPlan;
  /** Requests a second over all connections together; as fast as the answers come if unset. */
  overallRate?: number;
}

/** One run of autocannon (from a worker thread) against `load`; any failed request throws. */
export async function fire(
  name: string,
  load: HttpLoad,
  durationS: number,
): Promise<autocannon.Result> {
  const options: autocannon.Options = {
    url: load.url,
    headers: load.headers ?? {},
    duration: durationS,
    connections: load.connections,
    // One request in flight per connection: a rotation chain needs each response before it can
    // send the next request, and autocannon cannot change a pipelined connection's requests.
    pipelining: 1,
    // The servers share this process's main thread; generating load from a worker thread keeps
    // the client from competing with them for the same event loop.
    workers: 1,
    ...(load.overallRate === undefined ? {} : { overallRate: load.overallRate }),
  };
  const plan = load.plan && (await writePlan(load.plan));
  if (plan) {
    // In a worker, autocannon `require`s setupClient from a path; its typings only know functions.
    Object.assign(options, {
      setupClient: CONNECTION_SETUP_MODULE,
      initialContext: plan.reference,
    });
  }
  let result: autocannon.Result;
  try {
    result = await autocannon(options);
  } finally {
    await plan?.remove();
  }
  const failures = result.errors + result.timeouts + result.non2xx + result.mismatches;
  if (failures > 0) {
    throw new Error(
      `${name}: ${result.errors} errors, ${result.timeouts} timeouts, ` +
        `${result.non2xx} non-2xx responses, ${result.mismatches} mismatches ` +
        `(status codes: ${JSON.stringify(result.statusCodeStats)}); ` +
        'figures from a failing server would be meaningless',
    );
  }
  return result;
}

const sum = (values: number[]) => values.reduce((total, v) => total + v, 0);

/** Named CPU meters read over the same interval, each part's time (ns) where it can be read. */
export function meterParts(parts: Record<string, CpuMeter>): () => () => Record<string, number> {
  return () => {
    const started = Object.entries(parts).map(([part, meter]) => [part, meter()] as const);
    return () => {
      const used: Record<string, number> = {};
      for (const [part, read] of started) {
        const ns = read();
        if (ns !== undefined) used[part] = ns;
      }
      return used;
    };
  };
}

/** The parts' time together (ns), or undefined when none could be read. */
export function sumOfParts(used: Record<string, number>): number | undefined {
  const values = Object.values(used);
  return values.length === 0 ? undefined : sum(values);
}

/** CPU parts in ns over `count` answers, in µs per answer; undefined when none was read. */
export function partsPerAnswer(
  used: Record<string, number>,
  count: number,
): Record<string, number> | undefined {
  const entries = Object.entries(used);
  if (entries.length === 0 || count === 0) return undefined;
  return Object.fromEntries(entries.map(([part, ns]) => [part, ns / 1000 / count]));
}

/**
 * HTTP load on one endpoint; `prepare` runs before every measurement (e.g. fresh sessions).
 * `serverCpu` reads the server's CPU time: by default this process's main thread, where the
 * in-process targets run; a peer in a process of its own is measured there. Given as named
 * parts, each is reported (`serverCpuParts`) and the server's CPU is their sum.
 */
export function httpTarget(
  name: string,
  prepare: () => HttpLoad | Promise<HttpLoad>,
  serverCpu: CpuMeter | Record<string, CpuMeter> = mainThreadCpu,
): LoadTarget {
  const meter = typeof serverCpu === 'function' ? undefined : meterParts(serverCpu);
  return {
    name,
    measure: async (durationS) => {
      const load = await prepare();
      const cpuUsed = typeof serverCpu === 'function' ? serverCpu() : undefined;
      const partsUsed = meter?.();
      const startedAt = process.hrtime.bigint();
      const result = await fire(name, load, durationS);
      const partsNs = partsUsed?.();
      const cpuNs = cpuUsed ? cpuUsed() : partsNs && sumOfParts(partsNs);
      const parts = partsNs && partsPerAnswer(partsNs, result.requests.total);
      const wallNs = Number(process.hrtime.bigint() - startedAt);
      // autocannon stops with requests in flight and the server goes on serving them; give it
      // the longest latency seen to finish, so that work does not land in the next round.
      await delay(result.latency.max);
      return {
        requestsPerSecond: result.requests.average,
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        serverCpuMicrosPerRequest:
          cpuNs === undefined || result.requests.total === 0
            ? undefined
            : cpuNs / 1000 / result.requests.total,
        serverCores: cpuNs === undefined ? undefined : cpuNs / wallNs,
        ...(parts ? { serverCpuParts: parts } : {}),
      };
    },
  };
}

const mean = (values: number[]) => sum(values) / values.length;

/** Each part's mean over the rounds, of the parts every round read. */
function meanParts(samples: Sample[]): Record<string, number> | undefined {
  const parts = samples.map((sample) => sample.serverCpuParts);
  if (!parts.every((part): part is Record<string, number> => part !== undefined)) return undefined;
  const names = Object.keys(parts[0]).filter((name) => parts.every((part) => name in part));
  return Object.fromEntries(names.map((name) => [name, mean(parts.map((part) => part[name]))]));
}

/**
 * Warms every target up, then measures them in turn (A, B, A, B, ...) so that drift on the
 * machine during the run (frequency scaling, noisy neighbours) lands on all targets alike.
 * Each figure is the mean over rounds.
 */
export async function compareTargets(
  targets: LoadTarget[],
  settings: LoadSettings,
  progress: (message: string) => void,
): Promise<Measurement[]> {
  for (const target of targets) {
    progress(`warm-up ${target.name} (${settings.warmupS} s)`);
    await target.measure(settings.warmupS);
  }
  const runs = targets.map((): Sample[] => []);
  for (let round = 1; round <= settings.rounds; round++) {
    for (const [index, target] of targets.entries()) {
      const sample = await target.measure(settings.durationS);
      runs[index].push(sample);
      progress(
        `round ${round}/${settings.rounds} ${target.name}: ${Math.round(sample.requestsPerSecond)} req/s, ` +
          `p50 ${sample.latencyP50Ms.toFixed(2)} ms, p99 ${sample.latencyP99Ms.toFixed(2)} ms`,
      );
    }
  }
  return targets.map((target, index) => {
    const rates = runs[index].map((r) => r.requestsPerSecond);
    const cpu = runs[index].map((r) => r.serverCpuMicrosPerRequest);
    const cores = runs[index].map((r) => r.serverCores);
    return {
      target: target.name,
      requestsPerSecond: mean(rates),
      requestsPerSecondRange: [Math.min(...rates), Math.max(...rates)],
      latencyP50Ms: mean(runs[index].map((r) => r.latencyP50Ms)),
      latencyP99Ms: mean(runs[index].map((r) => r.latencyP99Ms)),
      serverCpuMicrosPerRequest: cpu.every((value): value is number => value !== undefined)
        ? mean(cpu)
        : undefined,
      serverCores: cores.every((value): value is number => value !== undefined)
        ? mean(cores)
        : undefined,
      serverCpuParts: meanParts(runs[index]),
    };
  });
}
