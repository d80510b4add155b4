import { CHECK_PATH } from './authz-http-fixture';
import type { Benchmark } from './benchmark';
import type { ConnectionPlan } from './connection-plan';
import { compareTargets, httpTarget } from './load-generator';
import {
  againstTarget,
  describeRounds,
  renderComparisonTable,
  renderSection,
} from './results-file';
import {
  type ClientTokenBody,
  clientToken,
  createServiceClients,
  TOKEN_PATH,
  tokenRequest,
} from './service-clients';
import { startBareFastify } from './targets';

/** The target for this machine with a local PostgreSQL. */
const TARGET_REQUESTS_PER_SECOND = 2000;
/** Services asking for tokens at once; connection n speaks for client n mod this. */
const CLIENTS = 10;
const SCOPE = 'authz:check';

/** A token the endpoint issued must be one the decision point accepts. */
async function assertUsable(baseUrl: string, token: ClientTokenBody): Promise<void> {
  if (token.token_type !== 'Bearer' || token.scope !== SCOPE || !(token.expires_in > 0)) {
    throw new Error(`unexpected token answer: ${JSON.stringify({ ...token, access_token: '…' })}`);
  }
  const response = await fetch(`${baseUrl}${CHECK_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      subject: { type: 'service', id: 'ghc_nobody' },
      action: 'bench:probe',
      resource: { type: 'bench' },
    }),
  });
  if (response.status !== 200) {
    throw new Error(`the issued token was refused: ${response.status} ${await response.text()}`);
  }
}

export const oauthTokenBenchmark: Benchmark = {
  id: 'oauth-token',
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const { connections } = settings;
    progress(`creating ${CLIENTS} service clients`);
    const clients = await createServiceClients(app, 'oauth-token', CLIENTS, [SCOPE, 'users:read']);
    const answers = await Promise.all(clients.map((client) => clientToken(app, client, SCOPE)));
    for (const answer of answers) await assertUsable(app.baseUrl, answer);

    const plan: ConnectionPlan = {
      kind: 'fixed-requests',
      requestsByConnection: Array.from({ length: connections }, (_, connection) => [
        { method: 'POST', path: TOKEN_PATH, ...tokenRequest(clients[connection % CLIENTS], SCOPE) },
      ]),
    };
    // The bare route parses the same forms and answers with a token of the same shape.
    const bare = await startBareFastify({
      method: 'POST',
      path: TOKEN_PATH,
      body: answers[0],
      formBodies: true,
    });
    try {
      const [appFigures, bareFigures] = await compareTargets(
        [app, bare].map((server) =>
          httpTarget(server.name, () => ({
            url: `${server.baseUrl}${TOKEN_PATH}`,
            connections,
            plan,
          })),
        ),
        settings,
        progress,
      );
      // Still issuing tokens the decision point accepts.
      for (const client of clients) {
        await assertUsable(app.baseUrl, await clientToken(app, client, SCOPE));
      }
      return renderSection({
        title: `Client-credentials grant: POST ${TOKEN_PATH}`,
        description:
          `${CLIENTS} service clients (made through OAuthClientsService, as the CLI makes them) ` +
          'ask for tokens with client_secret_basic and `scope=authz:check`, a subset of what ' +
          'they are allowed. Per request: the form is parsed, the attempt is admitted by the ' +
          'failed-authentication throttle of the caller’s network, the client and its active ' +
          'secrets’ hashes are looked up and the presented secret’s SHA-256 compared with them ' +
          'in constant time, the scope checked, `last_used_at` written at most once a minute ' +
          `per client, and an ${app.config.tokens.signingAlg} access token (RFC 9068) signed. ` +
          'Before and after the run, each client’s token is checked to be accepted by ' +
          `POST ${CHECK_PATH}. Against a bare Fastify route parsing the same forms and ` +
          'answering a token of the same shape: the ceiling of this exchange on this machine.',
        settings:
          `${describeRounds(settings, connections)}, connection n for client n mod ${CLIENTS}; ` +
          `database pool ${app.config.database.poolSize} connections; database: ${app.database}.`,
        table: renderComparisonTable([appFigures, bareFigures], bareFigures),
        notes: [
          againstTarget(
            `≥ ${TARGET_REQUESTS_PER_SECOND.toLocaleString('en-US')} req/s`,
            `${Math.round(appFigures.requestsPerSecond).toLocaleString('en-US')} req/s`,
            appFigures.requestsPerSecond >= TARGET_REQUESTS_PER_SECOND,
          ),
        ],
      });
    } finally {
      await bare.close();
    }
  },
};
