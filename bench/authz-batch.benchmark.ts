import {
  assertDecisions,
  BATCH_PATH,
  createAuthzFixture,
  type DecisionBody,
  postJson,
} from './authz-http-fixture';
import type { Benchmark } from './benchmark';
import type { ConnectionPlan } from './connection-plan';
import { compareTargets, httpTarget, type Measurement } from './load-generator';
import {
  againstTarget,
  describeRounds,
  renderComparisonTable,
  renderSection,
} from './results-file';
import { startBareFastify } from './targets';

/** Checks per request. */
const BATCH_SIZE = 50;
/** The target. */
const TARGET_DECISIONS_PER_SECOND = 150_000;

const decisionsPerSecond = (figures: Measurement) =>
  Math.round(figures.requestsPerSecond * BATCH_SIZE).toLocaleString('en-US');

export const authzBatchBenchmark: Benchmark = {
  id: 'authz-batch',
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const { connections } = settings;
    const fixture = await createAuthzFixture(app, progress);
    const { accessToken } = fixture;
    // The scenarios over and over; each connection's batch starts at another one.
    const batchOf = (offset: number) =>
      Array.from(
        { length: BATCH_SIZE },
        (_, index) => fixture.scenarios[(offset + index) % fixture.scenarios.length],
      );
    try {
      const decideBatch = async (offset: number, minVersion?: number) => {
        const scenarios = batchOf(offset);
        const { results } = await postJson<{ results: DecisionBody[] }>(
          app,
          BATCH_PATH,
          accessToken,
          {
            checks: scenarios.map((scenario) => ({
              ...scenario.body,
              ...(minVersion === undefined ? {} : { min_policy_set_version: minVersion }),
            })),
          },
        );
        assertDecisions(scenarios, results);
        return results;
      };
      // Every batch a connection sends (they differ by where they start), decided as expected.
      const decideEveryBatch = async () => {
        for (let offset = 0; offset < fixture.scenarios.length; offset++) {
          await decideBatch(offset);
        }
      };
      await decideBatch(0, fixture.policySetVersion);
      await decideEveryBatch();
      const answer = { results: await decideBatch(0) };

      const plan: ConnectionPlan = {
        kind: 'fixed-requests',
        requestsByConnection: Array.from({ length: connections }, (_, connection) => [
          {
            method: 'POST' as const,
            path: BATCH_PATH,
            headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ checks: batchOf(connection).map((scenario) => scenario.body) }),
          },
        ]),
      };
      const bare = await startBareFastify({ method: 'POST', path: BATCH_PATH, body: answer });
      try {
        const [appFigures, bareFigures] = await compareTargets(
          [app, bare].map((server) =>
            httpTarget(server.name, () => ({
              url: `${server.baseUrl}${BATCH_PATH}`,
              connections,
              plan,
            })),
          ),
          settings,
          progress,
        );
        await decideEveryBatch();
        const decisions = appFigures.requestsPerSecond * BATCH_SIZE;
        return renderSection({
          title: `Batch decisions: POST ${BATCH_PATH}, ${BATCH_SIZE} checks per request`,
          description:
            `Each request carries ${BATCH_SIZE} checks, the authz-check scenarios over and over ` +
            `(${fixture.policyCount} policies, ${fixture.roleCount} roles, allows and denies ` +
            'alike), answered in order on one policy set, each with its own decision id, ' +
            'counted and, when denied, logged. The same authentication and permission check as ' +
            'a single check, once per request; the body is validated check by check. Every ' +
            'batch is verified decision by decision before and after the run. Against a bare ' +
            'Fastify route receiving the same batches and answering one batch’s results.',
          settings:
            `${describeRounds(settings, connections)}, all with one service token; database: ` +
            `${app.database}.`,
          table: renderComparisonTable([appFigures, bareFigures], bareFigures),
          notes: [
            `Decisions/s (req/s × ${BATCH_SIZE}): ${app.name} ${decisionsPerSecond(appFigures)}, ` +
              `${bare.name} ${decisionsPerSecond(bareFigures)}.`,
            againstTarget(
              `≥ ${TARGET_DECISIONS_PER_SECOND.toLocaleString('en-US')} decisions/s`,
              `${decisionsPerSecond(appFigures)} decisions/s`,
              decisions >= TARGET_DECISIONS_PER_SECOND,
            ),
          ],
        });
      } finally {
        await bare.close();
      }
    } finally {
      await fixture.remove();
    }
  },
};
