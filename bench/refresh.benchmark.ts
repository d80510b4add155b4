import { createActiveAccounts, signIn } from './accounts';
import type { Benchmark } from './benchmark';
import type { ConnectionPlan } from './connection-plan';
import { compareTargets, httpTarget } from './load-generator';
import { threadpoolSize } from './machine';
import {
  againstTarget,
  describeRounds,
  perCoreAgainstKeycloak,
  renderComparisonTable,
  renderSection,
} from './results-file';
import { startBareFastify } from './targets';

const REFRESH_PATH = '/v1/auth/refresh';
/** The target for this machine with a local PostgreSQL. */
const TARGET_REQUESTS_PER_SECOND = 1000;

const rotationChains = (refreshTokens: string[]): ConnectionPlan => ({
  kind: 'refresh-chain',
  path: REFRESH_PATH,
  refreshTokens,
});

export const refreshBenchmark: Benchmark = {
  id: 'refresh',
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const { connections } = settings;
    progress(`creating ${connections} active accounts`);
    const accounts = await createActiveAccounts(app, 'refresh', connections);
    // A token pair exactly as the service writes one, for the bare route to answer with.
    const [answer] = await signIn(app, accounts.slice(0, 1), 1);
    const bare = await startBareFastify({ method: 'POST', path: REFRESH_PATH, body: answer });
    try {
      const [appFigures, bareFigures] = await compareTargets(
        [
          httpTarget(`${app.name} refresh`, async () => {
            // A run can end with a refresh the server executed but whose answer nobody read, so
            // the chain's last known token may be rotated already: every run starts new sessions.
            progress(`signing ${connections} accounts in for fresh rotation chains`);
            const pairs = await signIn(app, accounts, threadpoolSize());
            return {
              url: `${app.baseUrl}${REFRESH_PATH}`,
              connections,
              plan: rotationChains(pairs.map((pair) => pair.refresh_token)),
            };
          }),
          httpTarget(bare.name, () => ({
            url: `${bare.baseUrl}${REFRESH_PATH}`,
            connections,
            plan: rotationChains(new Array<string>(connections).fill(answer.refresh_token)),
          })),
        ],
        settings,
        progress,
      );
      return renderSection({
        title: `Refresh-token rotation: POST ${REFRESH_PATH}`,
        description:
          'Each connection follows the rotation chain of its own session, sending the refresh ' +
          'token of the previous answer, so no request replays a rotated token (which would ' +
          'revoke the session and fail the run). Per request: the token rotated (marked used, ' +
          'its successor stored, the session’s idle expiry moved), the account’s status checked, ' +
          `an auth event recorded and an ${app.config.tokens.signingAlg} access token signed. ` +
          'Against a bare Fastify route answering a token pair of the same shape ' +
          'to the same chained requests: the ceiling of this machine for a JSON POST. Before ' +
          'every run, outside the measured time, the accounts sign in again for fresh chains.',
        settings:
          `${describeRounds(settings, connections)}, one session of its own account per ` +
          `connection; database pool ${app.config.database.poolSize} connections; ` +
          `database: ${app.database}.`,
        table: renderComparisonTable([appFigures, bareFigures], bareFigures),
        notes: [
          againstTarget(
            `≥ ${TARGET_REQUESTS_PER_SECOND.toLocaleString('en-US')} req/s`,
            `${Math.round(appFigures.requestsPerSecond).toLocaleString('en-US')} req/s`,
            appFigures.requestsPerSecond >= TARGET_REQUESTS_PER_SECOND,
          ),
          perCoreAgainstKeycloak(appFigures.requestsPerSecond, {
            perVcpu: 120,
            what: 'refresh-token requests/s',
          }),
        ],
      });
    } finally {
      await bare.close();
    }
  },
};
