import type { Benchmark } from './benchmark';
import { compareTargets, httpTarget } from './load-generator';
import { describeRounds, renderComparisonTable, renderSection } from './results-file';
import { startBareFastify } from './targets';

const LIVENESS_PATH = '/health/live';

export const healthLiveBenchmark: Benchmark = {
  id: 'health-live',
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const bare = await startBareFastify({
      method: 'GET',
      path: LIVENESS_PATH,
      body: { status: 'ok', checks: {} },
    });
    try {
      const [appFigures, bareFigures] = await compareTargets(
        [app, bare].map((server) =>
          httpTarget(server.name, () => ({
            url: `${server.baseUrl}${LIVENESS_PATH}`,
            connections: settings.connections,
          })),
        ),
        settings,
        progress,
      );
      return renderSection({
        title: `Liveness probe: GET ${LIVENESS_PATH}`,
        description:
          'The full Gatehouse stack (Nest on Fastify, helmet, request id, request logging at ' +
          'level silent, metrics hook, validation pipe and exception filter) against a bare Fastify ' +
          'route returning the same JSON body: the cost of the framework and middleware on the ' +
          'cheapest route, which touches no database.',
        settings: `${describeRounds(settings, settings.connections)}, database: ${app.database}.`,
        table: renderComparisonTable([appFigures, bareFigures], bareFigures),
      });
    } finally {
      await bare.close();
    }
  },
};
