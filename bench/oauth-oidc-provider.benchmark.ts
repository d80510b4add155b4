import { generateKeyPairSync } from 'node:crypto';
import { resolve } from 'node:path';
import { version as oidcProviderVersion } from 'oidc-provider/package.json';
import type { Benchmark } from './benchmark';
import type { ConnectionPlan, PlannedRequest } from './connection-plan';
import { compareTargets, httpTarget, type LoadSettings, type Measurement } from './load-generator';
import { OPAQUE_RESOURCE } from './oidc-provider-peer';
import { freePort, LOOPBACK, startPeerProcess } from './peer-process';
import { childProcessCpu, ownProcessCpu, processTreeCpu } from './process-cpu';
import {
  againstTarget,
  describeRounds,
  renderComparisonTable,
  renderSection,
} from './results-file';
import {
  basicCredentials,
  type ClientTokenBody,
  createServiceClients,
  type ServiceClient,
  TOKEN_PATH,
  tokenRequest,
} from './service-clients';
import { startDeployedService } from './service-processes';
import type { BenchServer } from './targets';

/** The issue's target: Gatehouse at no less than this multiple of oidc-provider's throughput. */
const TARGET_THROUGHPUT = 2;
/** Services asking at once; connection n speaks for client n mod this. */
const CLIENTS = 10;
const SCOPE = 'authz:check';
const INTROSPECTION_SCOPE = 'oauth:introspect';
const INTROSPECT_PATH = '/oauth/introspect';
/** oidc-provider's default routes. */
const PEER_TOKEN_PATH = '/token';
const PEER_INTROSPECT_PATH = '/token/introspection';
/** The compiled peer beside this file. */
const PEER_SCRIPT = resolve(__dirname, 'oidc-provider-peer.js');

const FORM = 'application/x-www-form-urlencoded';

interface Endpoints {
  server: BenchServer;
  tokenPath: string;
  introspectPath: string;
  /** Extra token request parameters for a token this server can introspect. */
  introspectableToken: Record<string, string>;
  cpu: typeof ownProcessCpu;
}

async function form<T>(
  server: BenchServer,
  path: string,
  client: ServiceClient,
  parameters: Record<string, string>,
): Promise<T> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicCredentials(client) },
    body: new URLSearchParams(parameters).toString(),
  });
  if (response.status !== 200) {
    throw new Error(`${server.name} ${path}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as T;
}

/** A token issued for `client` by `endpoints`, checked for shape, that introspects as active. */
async function issuedAndActive(
  endpoints: Endpoints,
  client: ServiceClient,
  parameters: Record<string, string> = {},
): Promise<string> {
  const { server } = endpoints;
  const token = await form<ClientTokenBody>(server, endpoints.tokenPath, client, {
    grant_type: 'client_credentials',
    scope: SCOPE,
    ...parameters,
  });
  if (token.token_type !== 'Bearer' || token.scope !== SCOPE || !(token.expires_in > 0)) {
    throw new Error(`${server.name}: unexpected token answer ${JSON.stringify(token.scope)}`);
  }
  const described = await form<{ active: boolean; client_id?: string; scope?: string }>(
    server,
    endpoints.introspectPath,
    client,
    { token: token.access_token },
  );
  if (!described.active || described.client_id !== client.clientId || described.scope !== SCOPE) {
    throw new Error(
      `${server.name}: the token just issued introspects as ${JSON.stringify(described)}`,
    );
  }
  return token.access_token;
}

/** The ES256 signing key oidc-provider gets, as Gatehouse signs with ES256 by default. */
function signingKeys(): { keys: Record<string, unknown>[] } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    keys: [{ ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench' }],
  };
}

/** oidc-provider in a process of its own, knowing the same clients with the same secrets. */
async function startOidcProvider(clients: ServiceClient[]): Promise<BenchServer & { pid: number }> {
  const port = await freePort();
  const baseUrl = `http://${LOOPBACK}:${port}`;
  const peer = await startPeerProcess({
    name: 'oidc-provider',
    command: process.execPath,
    args: [PEER_SCRIPT],
    env: {
      NODE_ENV: 'production',
      OIDC_PEER_PORT: String(port),
      OIDC_PEER_SCOPE: SCOPE,
      OIDC_PEER_CLIENTS: JSON.stringify(
        clients.map((client) => ({ client_id: client.clientId, client_secret: client.secret })),
      ),
      OIDC_PEER_JWKS: JSON.stringify(signingKeys()),
    },
    ready: async () => (await fetch(`${baseUrl}/.well-known/openid-configuration`)).ok,
  });
  return {
    name: `oidc-provider ${oidcProviderVersion}`,
    baseUrl,
    pid: peer.pid,
    close: () => peer.stop(),
  };
}

function plan(
  connections: number,
  request: (client: ServiceClient, clientIndex: number) => PlannedRequest,
  clients: ServiceClient[],
): ConnectionPlan {
  return {
    kind: 'fixed-requests',
    requestsByConnection: Array.from({ length: connections }, (_, connection) => [
      request(clients[connection % clients.length], connection % clients.length),
    ]),
  };
}

async function compare(
  sides: { endpoints: Endpoints; path: string; plan: ConnectionPlan }[],
  settings: LoadSettings,
  progress: (message: string) => void,
): Promise<Measurement[]> {
  return compareTargets(
    sides.map(({ endpoints, path, plan: connectionPlan }) =>
      httpTarget(
        endpoints.server.name,
        () => ({
          url: `${endpoints.server.baseUrl}${path}`,
          connections: settings.connections,
          plan: connectionPlan,
        }),
        endpoints.cpu,
      ),
    ),
    settings,
    progress,
  );
}

const cpuNote = (figures: Measurement) =>
  `${figures.target}: server CPU ` +
  `${figures.serverCpuMicrosPerRequest === undefined ? 'n/a' : `${figures.serverCpuMicrosPerRequest.toFixed(1)} µs`} ` +
  `per request, ${figures.serverCores === undefined ? 'n/a' : figures.serverCores.toFixed(2)} cores busy`;

export const oauthOidcProviderBenchmark: Benchmark = {
  id: 'oauth-oidc-provider',
  targets: 6,
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const { connections } = settings;
    progress(`creating ${CLIENTS} service clients`);
    const clients = await createServiceClients(app, 'oauth-oidc-provider', CLIENTS, [
      SCOPE,
      INTROSPECTION_SCOPE,
    ]);
    progress('starting oidc-provider with the same clients');
    const peer = await startOidcProvider(clients);
    const service = await startDeployedService(app, progress, () => peer.close());
    const cores = service.variant.workers;
    try {
      const deployed: Endpoints = {
        server: {
          name: `${app.name}, ${service.variant.name}`,
          baseUrl: service.baseUrl,
          close: () => service.stop(),
        },
        tokenPath: TOKEN_PATH,
        introspectPath: INTROSPECT_PATH,
        introspectableToken: {},
        cpu: processTreeCpu(service.pid),
      };
      const ours: Endpoints = {
        server: { ...app, name: `${app.name}, one event loop` },
        tokenPath: TOKEN_PATH,
        introspectPath: INTROSPECT_PATH,
        introspectableToken: {},
        cpu: ownProcessCpu,
      };
      const theirs: Endpoints = {
        server: peer,
        tokenPath: PEER_TOKEN_PATH,
        introspectPath: PEER_INTROSPECT_PATH,
        introspectableToken: { resource: OPAQUE_RESOURCE },
        cpu: childProcessCpu(peer.pid),
      };
      // Both issue tokens that introspect as active, of the client, with the scope asked for.
      const tokens = new Map<Endpoints, string[]>();
      for (const endpoints of [ours, deployed, theirs]) {
        const issued: string[] = [];
        for (const client of clients) {
          issued.push(await issuedAndActive(endpoints, client, endpoints.introspectableToken));
        }
        tokens.set(endpoints, issued);
      }
      // The token endpoint's own answer, as measured: oidc-provider's JWT (see the peer).
      await issuedAndActive(ours, clients[0]);
      const jwt = await form<ClientTokenBody>(peer, PEER_TOKEN_PATH, clients[0], {
        grant_type: 'client_credentials',
        scope: SCOPE,
      });
      if (jwt.access_token.split('.').length !== 3) {
        throw new Error('oidc-provider did not issue a JWT access token');
      }

      progress(`client credentials: ${TOKEN_PATH} and ${PEER_TOKEN_PATH}`);
      const tokenFigures = await compare(
        [ours, deployed, theirs].map((endpoints) => ({
          endpoints,
          path: endpoints.tokenPath,
          plan: plan(
            connections,
            (client) => ({
              method: 'POST',
              path: endpoints.tokenPath,
              ...tokenRequest(client, SCOPE),
            }),
            clients,
          ),
        })),
        settings,
        progress,
      );
      progress(`introspection: ${INTROSPECT_PATH} and ${PEER_INTROSPECT_PATH}`);
      const introspectFigures = await compare(
        [ours, deployed, theirs].map((endpoints) => ({
          endpoints,
          path: endpoints.introspectPath,
          plan: plan(
            connections,
            (client, index) => ({
              method: 'POST',
              path: endpoints.introspectPath,
              headers: { 'content-type': FORM, authorization: basicCredentials(client) },
              body: new URLSearchParams({ token: tokens.get(endpoints)![index] }).toString(),
            }),
            clients,
          ),
        })),
        settings,
        progress,
      );
      // Still issuing tokens that introspect as active.
      for (const endpoints of [ours, deployed, theirs]) {
        await issuedAndActive(endpoints, clients[0], endpoints.introspectableToken);
      }

      const [loopTokens, ourTokens, theirTokens] = tokenFigures;
      const [loopIntrospections, ourIntrospections, theirIntrospections] = introspectFigures;
      const tokenRatio = ourTokens.requestsPerSecond / theirTokens.requestsPerSecond;
      const introspectRatio =
        ourIntrospections.requestsPerSecond / theirIntrospections.requestsPerSecond;
      const loopRatio = (ours: Measurement, theirs: Measurement) =>
        `${(ours.requestsPerSecond / theirs.requestsPerSecond).toFixed(2)}×`;
      return renderSection({
        title: `OAuth against oidc-provider: POST ${TOKEN_PATH} and POST ${INTROSPECT_PATH}`,
        description:
          `oidc-provider ${oidcProviderVersion} (the OpenID-certified Node.js server, from the ` +
          'npm registry) started by the benchmark on loopback in a Node.js process of its own ' +
          `(${process.version}, the benchmark's; oidc-provider 9 warns that it wants Node.js 22 ` +
          'or later) with NODE_ENV=production, client credentials and introspection enabled, its default in-memory ' +
          `store, and the same ${CLIENTS} clients with the same secrets (client_secret_basic) as ` +
          `Gatehouse's service clients. Client credentials: the same form (\`scope=${SCOPE}\`) ` +
          `to Gatehouse's POST ${TOKEN_PATH} and oidc-provider's POST ${PEER_TOKEN_PATH}; both ` +
          'answer an ES256-signed JWT access token (RFC 9068; oidc-provider’s through a resource ' +
          'indicator configured as its default resource). Introspection: each client describes ' +
          `a token of its own at Gatehouse's POST ${INTROSPECT_PATH} (its clients need the ` +
          `${INTROSPECTION_SCOPE} scope; the token is verified, then its client and revocation ` +
          `looked up) and oidc-provider's POST ${PEER_INTROSPECT_PATH}, which introspects only ` +
          'the opaque tokens it stores (its JWTs are refused there), so its tokens for this part ' +
          'are opaque ones, asked for by a second resource indicator, looked up in its store. ' +
          'Before and after the runs, every client’s token from each server is checked to ' +
          'introspect as active, of that client, with the scope asked for. Gatehouse runs twice: in ' +
          'the benchmark’s process (one event loop) and as deployed (`node dist/src/main.js`, a ' +
          'worker process per core). Server CPU: in-process Gatehouse’s is every thread of the ' +
          'benchmark’s process but the load generator’s (its worker thread, started afresh for ' +
          'each round), deployed Gatehouse’s is its processes’ and oidc-provider’s its process’s ' +
          'from /proc/<pid>/stat; cores busy is that CPU time over the round’s wall time.',
        settings:
          `${describeRounds(settings, connections)}, connection n for client n mod ${CLIENTS}, ` +
          `the same load generator for both; Gatehouse's database pool ` +
          `${app.config.database.poolSize} connections; database: ${app.database} (its CPU is ` +
          'in Gatehouse’s figure only when embedded).',
        table: [
          `**Client credentials** (ratios against ${peer.name})`,
          '',
          renderComparisonTable(tokenFigures, theirTokens),
          '',
          `**Introspection** (ratios against ${peer.name})`,
          '',
          renderComparisonTable(introspectFigures, theirIntrospections),
        ].join('\n'),
        notes: [
          `Client credentials: ${tokenFigures.map(cpuNote).join('; ')}.`,
          `Introspection: ${introspectFigures.map(cpuNote).join('; ')}.`,
          `The targets are judged on Gatehouse as deployed (${service.variant.name}, ` +
            `WEB_CONCURRENCY's default on ${cores} cores); oidc-provider runs one process, as it ` +
            'comes. With one event loop, as oidc-provider: client credentials ' +
            `${loopRatio(loopTokens, theirTokens)}, introspection ` +
            `${loopRatio(loopIntrospections, theirIntrospections)}.`,
          againstTarget(
            `client credentials ≥ ${TARGET_THROUGHPUT}× oidc-provider's throughput`,
            `${tokenRatio.toFixed(2)}×`,
            tokenRatio >= TARGET_THROUGHPUT,
          ),
          againstTarget(
            `introspection ≥ ${TARGET_THROUGHPUT}× oidc-provider's throughput`,
            `${introspectRatio.toFixed(2)}×`,
            introspectRatio >= TARGET_THROUGHPUT,
          ),
        ],
      });
    } finally {
      await Promise.all([service.stop(), peer.close()]);
    }
  },
};
