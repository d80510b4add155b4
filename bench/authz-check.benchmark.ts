import {
  assertDecisions,
  CHECK_PATH,
  createAuthzFixture,
  type DecisionBody,
  postJson,
} from './authz-http-fixture';
import type { Benchmark } from './benchmark';
import type { ConnectionPlan } from './connection-plan';
import { compareTargets, httpTarget } from './load-generator';
import {
  againstTarget,
  describeRounds,
  renderComparisonTable,
  renderSection,
} from './results-file';
import { startBareFastify, startBareNest } from './targets';

/** The target: the decision point at no less than this share of the bare route. */
const TARGET_SHARE_OF_BARE = 0.7;
/** Issue 20's stretch: the decision point at no less than this share of a bare Nest route. */
const STRETCH_SHARE_OF_NEST = 0.7;

/** The list started at its `offset`-th element, so that connections are not in step. */
export const rotated = <T>(items: T[], offset: number): T[] => [
  ...items.slice(offset % items.length),
  ...items.slice(0, offset % items.length),
];

export const authzCheckBenchmark: Benchmark = {
  id: 'authz-check',
  targets: 3,
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const { connections } = settings;
    const fixture = await createAuthzFixture(app, progress);
    const { scenarios, accessToken } = fixture;
    try {
      // Every scenario decided as expected, first on the set just written, then as measured.
      const decideAll = (minVersion?: number) =>
        Promise.all(
          scenarios.map((scenario) =>
            postJson<DecisionBody>(app, CHECK_PATH, accessToken, {
              ...scenario.body,
              ...(minVersion === undefined ? {} : { min_policy_set_version: minVersion }),
            }),
          ),
        );
      assertDecisions(scenarios, await decideAll(fixture.policySetVersion));
      const answers = await decideAll();
      assertDecisions(scenarios, answers);

      const headers = {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
      };
      const plan: ConnectionPlan = {
        kind: 'fixed-requests',
        requestsByConnection: Array.from({ length: connections }, (_, connection) =>
          rotated(scenarios, connection).map((scenario) => ({
            method: 'POST' as const,
            path: CHECK_PATH,
            headers,
            body: JSON.stringify(scenario.body),
          })),
        ),
      };
      // The bare routes answer every request with the first scenario's decision, as it came.
      const bare = await startBareFastify({ method: 'POST', path: CHECK_PATH, body: answers[0] });
      try {
        const nest = await startBareNest({ path: CHECK_PATH, body: answers[0] });
        try {
          const [appFigures, nestFigures, bareFigures] = await compareTargets(
            [app, nest, bare].map((server) =>
              httpTarget(server.name, () => ({
                url: `${server.baseUrl}${CHECK_PATH}`,
                connections,
                plan,
              })),
            ),
            settings,
            progress,
          );
          // Nothing the load did changed a decision.
          assertDecisions(scenarios, await decideAll());
          const share = appFigures.requestsPerSecond / bareFigures.requestsPerSecond;
          const shareOfNest = appFigures.requestsPerSecond / nestFigures.requestsPerSecond;
          const appCpu = appFigures.serverCpuMicrosPerRequest;
          const nestCpu = nestFigures.serverCpuMicrosPerRequest;
          const allows = scenarios.filter((scenario) => scenario.expected === 'allow').length;
          return renderSection({
            title: `Decision point: POST ${CHECK_PATH} with a service token`,
            description:
              'A sibling service asks one question per request with its client-credentials ' +
              `token (${app.config.tokens.signingAlg}, scope authz:check, from POST /oauth/token). ` +
              'Per request: the global guard verifies the token and checks that its client is ' +
              'active and the token not revoked (a database read at most every 2 s per token and ' +
              'instance), the permission guard checks the scope, the body is validated, the ' +
              'subject’s known attributes come from the subject cache (a database read at most ' +
              'every 2 s per subject and instance), the compiled policy set decides, the decision ' +
              'is counted and a denial logged (level silent). The policy set, written through the ' +
              `admin API before the run: ${fixture.policyCount} policies (allows and denies, ` +
              'conditions on resource, subject, supplied and context attributes, a higher-priority ' +
              `deny) and ${fixture.roleCount} roles granted to the subjects. Each connection cycles ` +
              `through ${scenarios.length} checks (${scenarios.map((s) => s.id).join(', ')}): ` +
              `${allows} allowed and ${scenarios.length - allows} denied, every decision checked ` +
              'before and after the run. Against a bare Fastify route receiving the same requests ' +
              'and answering one of those decisions: the ceiling for this exchange on this machine; ' +
              'and against a bare Nest route on the same Fastify adapter answering the same, with ' +
              'nothing of Gatehouse around it: the ceiling for any route served by Nest.',
            settings:
              `${describeRounds(settings, connections)}, all with one service token; database: ` +
              `${app.database}.`,
            table: renderComparisonTable([appFigures, nestFigures, bareFigures], bareFigures),
            notes: [
              againstTarget(
                `≥ ${TARGET_SHARE_OF_BARE * 100}% of the bare route`,
                `${(share * 100).toFixed(1)}%`,
                share >= TARGET_SHARE_OF_BARE,
              ),
              ...(appCpu !== undefined && nestCpu !== undefined
                ? [
                    `Against the bare Nest route: server CPU ${appCpu.toFixed(1)} against ` +
                      `${nestCpu.toFixed(1)} µs per check, ${(appCpu / nestCpu).toFixed(2)}× ` +
                      `(${(appCpu - nestCpu).toFixed(1)} µs of Gatehouse’s own per check).`,
                  ]
                : []),
              againstTarget(
                `(stretch) ≥ ${STRETCH_SHARE_OF_NEST}× a bare Nest route’s throughput`,
                `${shareOfNest.toFixed(2)}×`,
                shareOfNest >= STRETCH_SHARE_OF_NEST,
              ),
            ],
          });
        } finally {
          await nest.close();
        }
      } finally {
        await bare.close();
      }
    } finally {
      await fixture.remove();
    }
  },
};
