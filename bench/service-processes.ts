import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createActiveAccounts, LOGIN_PATH, loginRequests, signIn } from './accounts';
import {
  assertDecisions,
  CHECK_PATH,
  createAuthzFixture,
  postJson,
  type DecisionBody,
} from './authz-http-fixture';
import { rotated } from './authz-check.benchmark';
import type { BenchContext } from './benchmark';
import type { ConnectionPlan } from './connection-plan';
import { compareTargets, httpTarget, type Measurement } from './load-generator';
import { threadpoolSize } from './machine';
import { freePort, LOOPBACK, type PeerProcess, startPeerProcess } from './peer-process';
import {
  childPids,
  peakRssMib,
  processTreeCpu,
  residentMemoryMib,
  type ResidentMemory,
} from './process-cpu';
import { describeRounds, renderComparisonTable } from './results-file';
import type { MemoryCgroup } from './memory-cgroup';
import { heapSnapshotOptions, snapshotHeap, type HeapSummary } from './heap-snapshot';
import {
  BREAKDOWN_HEADER,
  breakdownCells,
  readMemoryBreakdown,
  sampleHighestMemory,
  type MemoryBreakdown,
} from './memory-breakdown';
import type { GatehouseServer } from './targets';

const MAIN = join(__dirname, '..', 'src', 'main.js');
const REFRESH_PATH = '/v1/auth/refresh';
/** `sh -c` script: writes its pid to the cgroup's procs file ($1), then runs the rest. */
const JOIN_CGROUP = 'echo $$ > "$1" && shift && exec "$@"';
const ACCOUNTS_PER_CONNECTION = 16;

/** One way to run the service: which Node.js binary, with how many worker processes. */
export interface ServiceVariant {
  name: string;
  node: string;
  workers: number;
  /** NODE_OPTIONS, as an operator would set them. */
  nodeOptions?: string;
  /** Started inside this memory cgroup, as in a container with that memory limit. */
  cgroup?: MemoryCgroup;
  /** Its live heap is summarized from a heap snapshot after the loads (one process only). */
  heapSnapshot?: boolean;
}

export interface ServiceProcess extends PeerProcess {
  variant: ServiceVariant;
  baseUrl: string;
  /** Where it writes heap snapshots, when its variant asks for one. */
  snapshotDirectory?: string;
}

/** What `compareServiceProcesses` measured, and how. */
export interface ServiceComparison {
  check: Measurement[];
  refresh: Measurement[];
  login: Measurement[];
  memory: {
    server: string;
    role: string;
    /** Before the loads, once the service answered its first requests. */
    atRest: ResidentMemory | undefined;
    peak: number | undefined;
  }[];
  /**
   * Where the memory of each one-process variant is: at rest, and at the highest of the readings
   * taken every quarter second under the loads (its `/metrics` answers for its one process).
   */
  breakdowns: {
    server: string;
    atRest: MemoryBreakdown | undefined;
    highest: MemoryBreakdown | undefined;
  }[];
  /** The live heap after the loads, of each variant that asked for a heap snapshot. */
  liveHeaps: { server: string; heap: HeapSummary }[];
  settings: string;
  /** How many questions the check load cycles through. */
  checkQuestions: number;
}

/**
 * For the run's time budget: three comparisons of the variants, and about as long again for the
 * fixtures and the sign-ins before every refresh round.
 */
export function serviceComparisonTargets(variants: number): number {
  return 3 * variants + 6;
}

/**
 * `node dist/src/main.js` as an operator starts it, on the run's database and master key: what
 * the in-process service wrote (accounts, policies, signing keys) it reads.
 */
async function startService(
  gatehouse: GatehouseServer,
  variant: ServiceVariant,
): Promise<ServiceProcess> {
  const port = await freePort();
  const baseUrl = `http://${LOOPBACK}:${port}`;
  const snapshots = variant.heapSnapshot ? heapSnapshotOptions() : undefined;
  const nodeOptions = [variant.nodeOptions, snapshots?.nodeOptions].filter(Boolean).join(' ');
  const peer = await startPeerProcess({
    name: `gatehouse (${variant.name})`,
    // In a cgroup: a shell joins it, then becomes the service (exec keeps its pid).
    command: variant.cgroup ? 'sh' : variant.node,
    args: variant.cgroup
      ? ['-c', JOIN_CGROUP, 'sh', variant.cgroup.procsFile, variant.node, MAIN]
      : [MAIN],
    env: {
      HOST: LOOPBACK,
      PORT: String(port),
      // One deployment: tokens the in-process service issued name this issuer.
      PUBLIC_URL: gatehouse.config.http.publicUrl,
      LOG_LEVEL: 'silent',
      DATABASE_URL: gatehouse.config.database.url!,
      MASTER_KEY: gatehouse.config.crypto.masterKey!.toString('base64'),
      WEB_CONCURRENCY: String(variant.workers),
      NODE_OPTIONS: nodeOptions,
    },
    directory: snapshots?.directory,
    ready: async () => {
      try {
        return (await fetch(`${baseUrl}/health/ready`)).ok;
      } catch {
        return false;
      }
    },
  });
  return { ...peer, variant, baseUrl, snapshotDirectory: snapshots?.directory };
}

/**
 * The service as deployed on this machine: WEB_CONCURRENCY's default, a worker process per core.
 * Should it not start, `onFailure` stops what the benchmark started before it.
 */
export async function startDeployedService(
  gatehouse: GatehouseServer,
  progress: (message: string) => void,
  onFailure: () => Promise<void>,
): Promise<ServiceProcess> {
  const cores = availableParallelism();
  progress(`starting Gatehouse with ${cores} worker processes`);
  try {
    return await startService(gatehouse, {
      name: `${cores} worker processes`,
      node: process.execPath,
      workers: cores,
    });
  } catch (error) {
    await onFailure();
    throw error;
  }
}

/**
 * The service in separate processes, one per variant, measured in alternating rounds on the
 * decision point (the check benchmark's questions with a service token), refresh-token rotation
 * chains and password logins; server CPU is every process of a variant together, and each
 * process's peak RSS is read once the load is over.
 */
export async function compareServiceProcesses(
  { settings, gatehouse, progress }: BenchContext,
  /** Names the benchmark in errors, and its accounts' addresses (kept short: an address's local part holds at most 64 characters). */
  tag: string,
  variants: ServiceVariant[],
): Promise<ServiceComparison> {
  const app = await gatehouse();
  if (!app.config.database.url) {
    throw new Error(`the ${tag} benchmark needs DATABASE_URL: its processes share a PostgreSQL`);
  }
  const { connections } = settings;
  const fixture = await createAuthzFixture(app, progress);
  const threads = threadpoolSize();
  const loginConnections = 2 * threads * 2;
  const loginAccounts = await createActiveAccounts(
    app,
    `${tag}-login`,
    loginConnections * ACCOUNTS_PER_CONNECTION,
  );
  const refreshAccounts = await createActiveAccounts(app, `${tag}-refresh`, connections);
  const servers: ServiceProcess[] = [];
  try {
    for (const variant of variants) servers.push(await startService(app, variant));
    for (const server of servers) {
      const answers = await Promise.all(
        fixture.scenarios.map((scenario) =>
          postJson<DecisionBody>(
            { ...app, baseUrl: server.baseUrl },
            CHECK_PATH,
            fixture.accessToken,
            scenario.body,
          ),
        ),
      );
      assertDecisions(fixture.scenarios, answers);
    }
    const atRest = new Map(
      servers
        .flatMap((server) => [server.pid, ...childPids(server.pid)])
        .map((pid) => [pid, residentMemoryMib(pid)] as const),
    );
    const single = servers.filter((server) => server.variant.workers === 1);
    const breakdownsAtRest = await Promise.all(
      single.map((server) => readMemoryBreakdown(server.pid, server.baseUrl)),
    );
    const samplers = single.map((server) => sampleHighestMemory(server.pid, server.baseUrl));
    const checkHeaders = {
      authorization: `Bearer ${fixture.accessToken}`,
      'content-type': 'application/json',
    };
    const checkPlan: ConnectionPlan = {
      kind: 'fixed-requests',
      requestsByConnection: Array.from({ length: connections }, (_, connection) =>
        rotated(fixture.scenarios, connection).map((scenario) => ({
          method: 'POST' as const,
          path: CHECK_PATH,
          headers: checkHeaders,
          body: JSON.stringify(scenario.body),
        })),
      ),
    };
    const compare = (
      load: string,
      target: (server: ServiceProcess) => Parameters<typeof httpTarget>[1],
    ) =>
      compareTargets(
        servers.map((server) =>
          httpTarget(`${load}, ${server.variant.name}`, target(server), processTreeCpu(server.pid)),
        ),
        settings,
        progress,
      );
    const check = await compare('check', (server) => () => ({
      url: `${server.baseUrl}${CHECK_PATH}`,
      connections,
      plan: checkPlan,
    }));
    const refresh = await compare('refresh', (server) => async () => {
      const pairs = await signIn(app, refreshAccounts, threads);
      return {
        url: `${server.baseUrl}${REFRESH_PATH}`,
        connections,
        plan: {
          kind: 'refresh-chain',
          path: REFRESH_PATH,
          refreshTokens: pairs.map((p) => p.refresh_token),
        },
      };
    });
    const login = await compare('login', (server) => () => ({
      url: `${server.baseUrl}${LOGIN_PATH}`,
      connections: loginConnections,
      plan: {
        kind: 'fixed-requests',
        requestsByConnection: loginRequests(loginAccounts, loginConnections),
      },
    }));
    const highest = await Promise.all(samplers.map((sampler) => sampler.stop()));
    const memory = servers.flatMap((server) =>
      [server.pid, ...childPids(server.pid)].map((pid, index) => ({
        server: server.variant.name,
        role:
          server.variant.workers === 1
            ? 'the one process'
            : index === 0
              ? 'primary'
              : `worker ${index}`,
        atRest: atRest.get(pid),
        peak: peakRssMib(pid),
      })),
    );
    // After the peaks are read: writing a snapshot takes memory of its own.
    const liveHeaps = [];
    for (const server of servers) {
      if (!server.snapshotDirectory) continue;
      progress(`heap snapshot of ${server.variant.name}`);
      liveHeaps.push({
        server: server.variant.name,
        heap: await snapshotHeap(server.pid, server.snapshotDirectory),
      });
    }
    return {
      check,
      refresh,
      login,
      memory,
      breakdowns: single.map((server, index) => ({
        server: server.variant.name,
        atRest: breakdownsAtRest[index],
        highest: highest[index],
      })),
      liveHeaps,
      settings: `${describeRounds(settings, connections)}; logins with ${loginConnections} connections; database: ${app.database}.`,
      checkQuestions: fixture.scenarios.length,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** The bound on a process's peak RSS under the benchmark load, in bytes (250 MB). */
const PEAK_RSS_TARGET_BYTES = 250e6;

/** Whether each variant's processes stayed within the peak RSS target. */
export function peakRssNote(comparison: ServiceComparison): string {
  const byServer = new Map<string, number>();
  for (const { server, peak } of comparison.memory) {
    if (peak !== undefined) byServer.set(server, Math.max(peak, byServer.get(server) ?? 0));
  }
  if (byServer.size === 0) return 'Target peak RSS ≤ 250 MB per process: not measurable here.';
  const verdicts = [...byServer].map(([server, peakMib]) => {
    const bytes = peakMib * 1024 * 1024;
    const met = bytes <= PEAK_RSS_TARGET_BYTES;
    return (
      `${server}: highest ${(bytes / 1e6).toFixed(0)} MB (${peakMib.toFixed(0)} MiB), ` +
      (met ? 'met' : '**not met**')
    );
  });
  return `Target peak RSS ≤ 250 MB per process: ${verdicts.join('; ')}.`;
}

const mib = (value: number | undefined) =>
  value === undefined ? 'n/a' : `${value.toFixed(0)} MiB`;

/**
 * The three comparisons against the first variant, the other variants' ratios (one label each,
 * in order), and the memory table.
 */
export function renderServiceComparison(
  comparison: ServiceComparison,
  ratioLabels: string[],
): string {
  const { check, refresh, login, memory, breakdowns } = comparison;
  const ratio = (figures: Measurement[], variant: number) =>
    `${(figures[variant].requestsPerSecond / figures[0].requestsPerSecond).toFixed(2)}×`;
  return [
    renderComparisonTable(check, check[0]),
    '',
    renderComparisonTable(refresh, refresh[0]),
    '',
    renderComparisonTable(login, login[0]),
    '',
    '| | check | refresh | login |',
    '| --- | --- | --- | --- |',
    ...ratioLabels.map(
      (label, index) =>
        `| ${label} | ${ratio(check, index + 1)} | ${ratio(refresh, index + 1)} | ` +
        `${ratio(login, index + 1)} |`,
    ),
    '',
    '| server | process | RSS at rest | of it mapped from files | peak RSS (VmHWM) |',
    '| --- | --- | ---: | ---: | ---: |',
    ...memory.map(
      (row) =>
        `| ${row.server} | ${row.role} | ${mib(row.atRest?.rss)} | ${mib(row.atRest?.file)} | ` +
        `${mib(row.peak)} |`,
    ),
    ...(breakdowns.length === 0
      ? []
      : [
          '',
          `| server | when, MiB ${BREAKDOWN_HEADER}`,
          '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
          ...breakdowns.flatMap(({ server, atRest, highest }) => [
            `| ${server} | at rest | ${breakdownCells(atRest).join(' | ')} |`,
            `| ${server} | highest reading under load | ${breakdownCells(highest).join(' | ')} |`,
          ]),
          '',
          'Where the memory is, in MiB: RSS and the part mapped from files from /proc; V8’s heap ' +
            'spaces as committed, and in brackets the old space’s part in use (live objects and ' +
            'garbage not yet collected), from the process’s own `GET /metrics`; the rest is native ' +
            'memory: argon2’s working memory (19 MiB per verification in flight), malloc’s heap, ' +
            'thread stacks. Under load the process is read every quarter second, and the highest ' +
            'reading can lie below the peak (VmHWM).',
        ]),
  ].join('\n');
}
