import { SESSION_STATUS_CACHE_MS } from '../src/modules/auth/session.service';
import { createActiveAccounts, getJson, signIn } from './accounts';
import type { Benchmark } from './benchmark';
import { compareTargets, httpTarget } from './load-generator';
import { describeRounds, renderComparisonTable, renderSection } from './results-file';
import { startBareFastify } from './targets';

const PROFILE_PATH = '/v1/users/me';

export const usersMeBenchmark: Benchmark = {
  id: 'users-me',
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const [account] = await createActiveAccounts(app, 'users-me', 1);
    const [{ access_token: accessToken }] = await signIn(app, [account], 1);
    const headers = { authorization: `Bearer ${accessToken}` };
    // The bare route answers with the very profile the service returns.
    const profile = await getJson(app, PROFILE_PATH, accessToken);
    const bare = await startBareFastify({ method: 'GET', path: PROFILE_PATH, body: profile });
    try {
      const [appFigures, bareFigures] = await compareTargets(
        [app, bare].map((server) =>
          httpTarget(server.name, () => ({
            url: `${server.baseUrl}${PROFILE_PATH}`,
            connections: settings.connections,
            headers,
          })),
        ),
        settings,
        progress,
      );
      return renderSection({
        title: `Authenticated read: GET ${PROFILE_PATH}`,
        description:
          'The signed-in user’s profile with a valid access token: the global guard verifies ' +
          `the ${app.config.tokens.signingAlg} token (key by kid; algorithm, iss, aud, typ and ` +
          'exp checked) and that its session is live (a database read at most every ' +
          `${SESSION_STATUS_CACHE_MS / 1000} s per session and instance), then the account and ` +
          'any pending email change are read. Against a bare Fastify route returning the same ' +
          'profile body with no authentication: the ceiling for this response on this machine.',
        settings:
          `${describeRounds(settings, settings.connections)}, all with the access token of one ` +
          `session; database: ${app.database}.`,
        table: renderComparisonTable([appFigures, bareFigures], bareFigures),
      });
    } finally {
      await bare.close();
    }
  },
};
