import { join } from 'node:path';
import { Account, createActiveAccounts, LOGIN_PATH, signIn } from './accounts';
import {
  assertDecisions,
  CHECK_PATH,
  createAuthzFixture,
  postJson,
  type DecisionBody,
} from './authz-http-fixture';
import { rotated } from './authz-check.benchmark';
import type { Benchmark } from './benchmark';
import type { ConnectionPlan, PlannedRequest } from './connection-plan';
import { compareTargets, httpTarget, type Measurement } from './load-generator';
import { threadpoolSize } from './machine';
import { freePort, LOOPBACK, type PeerProcess, startPeerProcess } from './peer-process';
import { childPids, peakRssMib, processTreeCpu } from './process-cpu';
import { describeRounds, renderComparisonTable, renderSection } from './results-file';
import type { GatehouseServer } from './targets';

const MAIN = join(__dirname, '..', 'src', 'main.js');
const REFRESH_PATH = '/v1/auth/refresh';
const ACCOUNTS_PER_CONNECTION = 16;

interface ClusterServer extends PeerProcess {
  name: string;
  baseUrl: string;
  workers: number;
}

/**
 * `node dist/src/main.js` as an operator starts it, with WEB_CONCURRENCY workers, on the run's
 * database and master key: what the in-process service wrote (accounts, policies, signing keys)
 * it reads.
 */
async function startCluster(gatehouse: GatehouseServer, workers: number): Promise<ClusterServer> {
  const port = await freePort();
  const baseUrl = `http://${LOOPBACK}:${port}`;
  const peer = await startPeerProcess({
    name: `gatehouse-${workers}w`,
    command: process.execPath,
    args: [MAIN],
    env: {
      HOST: LOOPBACK,
      PORT: String(port),
      // One deployment: tokens the in-process service issued name this issuer.
      PUBLIC_URL: gatehouse.config.http.publicUrl,
      LOG_LEVEL: 'silent',
      DATABASE_URL: gatehouse.config.database.url!,
      MASTER_KEY: gatehouse.config.crypto.masterKey!.toString('base64'),
      WEB_CONCURRENCY: String(workers),
    },
    ready: async () => {
      try {
        return (await fetch(`${baseUrl}/health/ready`)).ok;
      } catch {
        return false;
      }
    },
  });
  return { ...peer, name: `${workers} worker${workers > 1 ? 's' : ''}`, baseUrl, workers };
}

/** Logins of accounts of each connection's own, in turn (as the login benchmark). */
function loginPlan(accounts: Account[], connections: number): ConnectionPlan {
  return {
    kind: 'fixed-requests',
    requestsByConnection: Array.from({ length: connections }, (_, connection) =>
      accounts
        .filter((_, index) => index % connections === connection)
        .map((account): PlannedRequest => ({
          method: 'POST',
          path: LOGIN_PATH,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(account),
        })),
    ),
  };
}

const ratioRow = (figures: Measurement[]) =>
  `${(figures[1].requestsPerSecond / figures[0].requestsPerSecond).toFixed(2)}×`;

export const workersBenchmark: Benchmark = {
  id: 'workers',
  // Three comparisons of two targets, and the fixtures, sign-ins before every refresh round and
  // the two clusters' start-up on top.
  targets: 12,
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    if (!app.config.database.url) {
      throw new Error('the workers benchmark needs DATABASE_URL: the workers share a PostgreSQL');
    }
    const { connections } = settings;
    const fixture = await createAuthzFixture(app, progress);
    const threads = threadpoolSize();
    const loginConnections = 2 * threads * 2;
    const loginAccounts = await createActiveAccounts(
      app,
      'workers-login',
      loginConnections * ACCOUNTS_PER_CONNECTION,
    );
    const refreshAccounts = await createActiveAccounts(app, 'workers-refresh', connections);
    const servers = [await startCluster(app, 1), await startCluster(app, 2)];
    try {
      const checkHeaders = {
        authorization: `Bearer ${fixture.accessToken}`,
        'content-type': 'application/json',
      };
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
        what: string,
        load: (server: ClusterServer) => Parameters<typeof httpTarget>[1],
      ) =>
        compareTargets(
          servers.map((server) =>
            httpTarget(`${what}, ${server.name}`, load(server), processTreeCpu(server.pid)),
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
        plan: loginPlan(loginAccounts, loginConnections),
      }));
      const memory = servers.flatMap((server) =>
        [server.pid, ...childPids(server.pid)].map((pid, index) => ({
          server: server.name,
          role:
            server.workers === 1 ? 'the one process' : index === 0 ? 'primary' : `worker ${index}`,
          peak: peakRssMib(pid),
        })),
      );
      return renderSection({
        title: 'Every core: WEB_CONCURRENCY=1 against 2',
        description:
          'The service as an operator runs it (`node dist/src/main.js`), once with one worker ' +
          'process and once with two (`WEB_CONCURRENCY`), both behind their primary on one port, ' +
          'on the run’s PostgreSQL, measured in alternating rounds: the decision point ' +
          `(POST ${CHECK_PATH}, the check benchmark’s ${fixture.scenarios.length} questions with a ` +
          'service token), refresh-token rotation chains and password logins. Server CPU is the ' +
          'primary’s and every worker’s together. The load generator and PostgreSQL run on the same ' +
          'cores, so two workers cannot double a rate the machine already spends on them.',
        settings: `${describeRounds(settings, connections)}; logins with ${loginConnections} connections; database: ${app.database}.`,
        table: [
          renderComparisonTable(check, check[0]),
          '',
          renderComparisonTable(refresh, refresh[0]),
          '',
          renderComparisonTable(login, login[0]),
          '',
          '| | check | refresh | login |',
          '| --- | --- | --- | --- |',
          `| 2 workers / 1 worker | ${ratioRow(check)} | ${ratioRow(refresh)} | ${ratioRow(login)} |`,
          '',
          '| server | process | peak RSS (VmHWM) |',
          '| --- | --- | --- |',
          ...memory.map(
            (row) =>
              `| ${row.server} | ${row.role} | ${row.peak === undefined ? 'n/a' : `${row.peak.toFixed(0)} MiB`} |`,
          ),
        ].join('\n'),
      });
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  },
};
