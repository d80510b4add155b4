import { version as cerbosPackageVersion } from '@cerbos/cerbos-linux-x64/package.json';
import {
  type AuthzFixture,
  BATCH_PATH,
  CHECK_PATH,
  createAuthzFixture,
  type DecisionBody,
  type Expected,
  postJson,
} from './authz-http-fixture';
import { rotated } from './authz-check.benchmark';
import type { Benchmark } from './benchmark';
import {
  CERBOS_CHECK_PATH,
  type CerbosCheckBody,
  cerbosEffect,
  cerbosPolicies,
  cerbosPrincipal,
  cerbosResourceEntry,
  type CerbosServer,
  type Question,
  startCerbos,
} from './cerbos-peer';
import type { ConnectionPlan, PlannedRequest } from './connection-plan';
import { compareTargets, httpTarget, type LoadSettings, type Measurement } from './load-generator';
import { childProcessCpu, ownProcessCpu, processTreeCpu } from './process-cpu';
import { type ServiceProcess, startDeployedService } from './service-processes';
import {
  againstTarget,
  describeRounds,
  renderComparisonTable,
  renderSection,
} from './results-file';
import type { GatehouseServer } from './targets';

/** Checks per batch: Cerbos's default limit of resources per CheckResources request. */
const BATCH_SIZE = 50;
/** The issue's targets against Cerbos. */
const TARGET_CHECK_THROUGHPUT = 3;
const TARGET_BATCH_DECISIONS = 10;

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * Every subject the scenarios use (with the attributes they supply) asking every scenario's
 * question: the scenarios themselves and their crossings, allows and denies, with and without
 * conditions. Both servers must decide each the same.
 */
function agreementTable(fixture: AuthzFixture): Question[] {
  const questions = fixture.scenarios.map((scenario) => scenario.body as unknown as Question);
  const subjects = [
    ...new Map(questions.map((q) => [JSON.stringify(q.subject), q.subject])).values(),
  ];
  return subjects.flatMap((subject) => questions.map((question) => ({ ...question, subject })));
}

/** The body Cerbos gets for questions of one subject. */
function cerbosBody(fixture: AuthzFixture, questions: Question[]): CerbosCheckBody {
  const [{ subject }] = questions;
  if (questions.some((q) => JSON.stringify(q.subject) !== JSON.stringify(subject))) {
    throw new Error('one CheckResources request asks for one principal');
  }
  const known =
    subject.type === 'service'
      ? // The client is active: Gatehouse reads that from its database.
        { roles: [], attributes: { status: 'active' } }
      : { roles: fixture.grants[subject.id] ?? [], attributes: {} };
  return {
    principal: cerbosPrincipal(subject, known),
    resources: questions.map(cerbosResourceEntry),
  };
}

async function gatehouseDecisions(
  app: GatehouseServer,
  accessToken: string,
  questions: Question[],
): Promise<Expected[]> {
  const { results } = await postJson<{ results: DecisionBody[] }>(app, BATCH_PATH, accessToken, {
    checks: questions,
  });
  return results.map((result) => result.decision);
}

async function cerbosDecisions(
  cerbos: CerbosServer,
  fixture: AuthzFixture,
  questions: Question[],
): Promise<Expected[]> {
  const { results } = await cerbos.check(cerbosBody(fixture, questions));
  if (results.length !== questions.length) {
    throw new Error(`Cerbos answered ${results.length} of ${questions.length} resources`);
  }
  return results.map(cerbosEffect);
}

/** Fails the run unless both servers decide every question alike, and as the scenarios expect. */
async function assertAgreement(
  app: GatehouseServer,
  cerbos: CerbosServer,
  fixture: AuthzFixture,
  table: Question[],
): Promise<{ allows: number; denies: number }> {
  const gatehouse = await gatehouseDecisions(app, fixture.accessToken, table);
  const scenarioAnswers = await gatehouseDecisions(
    app,
    fixture.accessToken,
    fixture.scenarios.map((s) => s.body as unknown as Question),
  );
  for (const [index, scenario] of fixture.scenarios.entries()) {
    if (scenarioAnswers[index] !== scenario.expected) {
      throw new Error(`${scenario.id}: Gatehouse answered ${scenarioAnswers[index]}`);
    }
  }
  const mismatches: string[] = [];
  for (const [index, question] of table.entries()) {
    // Cerbos takes one principal per request: ask question by question.
    const [answer] = await cerbosDecisions(cerbos, fixture, [question]);
    if (answer !== gatehouse[index]) {
      mismatches.push(
        `${question.subject.type} ${question.subject.id} ${question.action} on ` +
          `${question.resource.type}:${question.resource.id}: Gatehouse ${gatehouse[index]}, ` +
          `Cerbos ${answer}`,
      );
    }
  }
  if (mismatches.length > 0) {
    throw new Error(
      `Cerbos and Gatehouse disagree on ${mismatches.length} of ${table.length} checks:\n` +
        mismatches.join('\n'),
    );
  }
  const allows = gatehouse.filter((decision) => decision === 'allow').length;
  return { allows, denies: gatehouse.length - allows };
}

/** Server CPU per decision and cores kept busy, from a measurement of `decisions` per request. */
function cpuNote(figures: Measurement, decisionsPerRequest: number): string {
  const perDecision =
    figures.serverCpuMicrosPerRequest === undefined
      ? 'n/a'
      : `${(figures.serverCpuMicrosPerRequest / decisionsPerRequest).toFixed(2)} µs`;
  const cores = figures.serverCores === undefined ? 'n/a' : figures.serverCores.toFixed(2);
  return `${figures.target}: server CPU ${perDecision} per decision, ${cores} cores busy`;
}

const perSecond = (value: number) => Math.round(value).toLocaleString('en-US');

async function compare(
  app: GatehouseServer,
  service: ServiceProcess,
  cerbos: CerbosServer,
  plans: { gatehouse: ConnectionPlan; cerbos: ConnectionPlan; path: string },
  settings: LoadSettings,
  progress: (message: string) => void,
): Promise<[Measurement, Measurement, Measurement]> {
  const [gatehouseFigures, serviceFigures, cerbosFigures] = await compareTargets(
    [
      httpTarget(
        `${app.name}, one event loop`,
        () => ({
          url: `${app.baseUrl}${plans.path}`,
          connections: settings.connections,
          plan: plans.gatehouse,
        }),
        ownProcessCpu,
      ),
      httpTarget(
        `${app.name}, ${service.variant.name}`,
        () => ({
          url: `${service.baseUrl}${plans.path}`,
          connections: settings.connections,
          plan: plans.gatehouse,
        }),
        processTreeCpu(service.pid),
      ),
      httpTarget(
        cerbos.name,
        () => ({
          url: `${cerbos.baseUrl}${CERBOS_CHECK_PATH}`,
          connections: settings.connections,
          plan: plans.cerbos,
        }),
        childProcessCpu(cerbos.pid),
      ),
    ],
    settings,
    progress,
  );
  return [gatehouseFigures, serviceFigures, cerbosFigures];
}

export const authzCerbosBenchmark: Benchmark = {
  id: 'authz-cerbos',
  targets: 6,
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const { connections } = settings;
    const fixture = await createAuthzFixture(app, progress);
    try {
      progress('starting Cerbos with the equivalent policies');
      const cerbos = await startCerbos(cerbosPolicies(fixture.policies, fixture.roles));
      // The service as deployed, as Cerbos (Go) uses every core by default.
      const service = await startDeployedService(app, progress, () => cerbos.close());
      const cores = service.variant.workers;
      const deployed = { ...app, baseUrl: service.baseUrl };
      try {
        const table = agreementTable(fixture);
        const agreement = await assertAgreement(app, cerbos, fixture, table);
        await assertAgreement(deployed, cerbos, fixture, table);
        progress(
          `Cerbos and Gatehouse agree on ${table.length} checks ` +
            `(${agreement.allows} allowed, ${agreement.denies} denied)`,
        );

        const questions = fixture.scenarios.map((s) => s.body as unknown as Question);
        const gatehouseHeaders = {
          authorization: `Bearer ${fixture.accessToken}`,
          ...JSON_HEADERS,
        };
        const single = {
          path: CHECK_PATH,
          gatehouse: {
            kind: 'fixed-requests',
            requestsByConnection: Array.from({ length: connections }, (_, connection) =>
              rotated(questions, connection).map((question): PlannedRequest => ({
                method: 'POST',
                path: CHECK_PATH,
                headers: gatehouseHeaders,
                body: JSON.stringify(question),
              })),
            ),
          },
          cerbos: {
            kind: 'fixed-requests',
            requestsByConnection: Array.from({ length: connections }, (_, connection) =>
              rotated(questions, connection).map((question): PlannedRequest => ({
                method: 'POST',
                path: CERBOS_CHECK_PATH,
                headers: JSON_HEADERS,
                body: JSON.stringify(cerbosBody(fixture, [question])),
              })),
            ),
          },
        } satisfies Parameters<typeof compare>[3];

        // A batch is one subject's questions: Cerbos checks one principal per request. Connection
        // n asks as the n-th subject of the table (in turn), every scenario's question over and over.
        const subjects = [...new Set(table.map((q) => JSON.stringify(q.subject)))].map(
          (subject) => JSON.parse(subject) as Question['subject'],
        );
        const batchOf = (connection: number): Question[] => {
          const subject = subjects[connection % subjects.length];
          return Array.from({ length: BATCH_SIZE }, (_, index) => ({
            ...questions[(connection + index) % questions.length],
            subject,
          }));
        };
        // Every batch a connection sends, answered alike by both.
        for (let connection = 0; connection < subjects.length * questions.length; connection++) {
          const batch = batchOf(connection);
          const [ours, deployedOurs, theirs] = [
            await gatehouseDecisions(app, fixture.accessToken, batch),
            await gatehouseDecisions(deployed, fixture.accessToken, batch),
            await cerbosDecisions(cerbos, fixture, batch),
          ];
          if (
            ours.some((decision, index) => decision !== theirs[index]) ||
            deployedOurs.some((decision, index) => decision !== theirs[index])
          ) {
            throw new Error(
              `batch ${connection}: Gatehouse ${ours.join()}, Cerbos ${theirs.join()}`,
            );
          }
        }
        const batch = {
          path: BATCH_PATH,
          gatehouse: {
            kind: 'fixed-requests',
            requestsByConnection: Array.from({ length: connections }, (_, connection) => [
              {
                method: 'POST',
                path: BATCH_PATH,
                headers: gatehouseHeaders,
                body: JSON.stringify({ checks: batchOf(connection) }),
              },
            ]),
          },
          cerbos: {
            kind: 'fixed-requests',
            requestsByConnection: Array.from({ length: connections }, (_, connection) => [
              {
                method: 'POST',
                path: CERBOS_CHECK_PATH,
                headers: JSON_HEADERS,
                body: JSON.stringify(cerbosBody(fixture, batchOf(connection))),
              },
            ]),
          },
        } satisfies Parameters<typeof compare>[3];

        progress('single checks');
        const [loopChecks, ourChecks, theirChecks] = await compare(
          app,
          service,
          cerbos,
          single,
          settings,
          progress,
        );
        progress(`batches of ${BATCH_SIZE}`);
        const [loopBatches, ourBatches, theirBatches] = await compare(
          app,
          service,
          cerbos,
          batch,
          settings,
          progress,
        );
        // Nothing the load did changed a decision.
        await assertAgreement(app, cerbos, fixture, table);
        await assertAgreement(deployed, cerbos, fixture, table);

        const checkRatio = ourChecks.requestsPerSecond / theirChecks.requestsPerSecond;
        const batchRatio = ourBatches.requestsPerSecond / theirBatches.requestsPerSecond;
        return renderSection({
          title: `Decision point against Cerbos: POST ${CHECK_PATH} and the batch`,
          description:
            `A Cerbos server (${cerbos.version}, the \`@cerbos/cerbos-linux-x64\` ` +
            `${cerbosPackageVersion} binary from the npm registry) started by the benchmark on ` +
            'loopback, in a process of its own, with the disk store over a directory of policies ' +
            'the benchmark writes, audit and telemetry off, errors-only logging and Go’s defaults ' +
            '(every core). Its policies are translated mechanically from the authz-check policy ' +
            `set (${fixture.policyCount} policies, ${fixture.roleCount} roles): a resource ` +
            'policy per resource type with a rule per role permission and per policy (the same ' +
            'CEL conditions over Cerbos’s names, a single resource as a condition on its id), ' +
            'and a derived role for the service client a policy names. Both let any matching ' +
            'deny win and deny what nothing allows. Cerbos is stateless: each request tells it ' +
            'what Gatehouse looks up itself (the user’s granted roles, the client’s status), and ' +
            'a check’s context travels as a resource attribute, Cerbos having no other place for ' +
            `it. Before the run (and again after it) both decide the same ${table.length} checks: ` +
            'every subject of the scenarios asking every scenario’s question ' +
            `(${agreement.allows} allowed, ${agreement.denies} denied); a mismatch fails the ` +
            `run. Single checks: Gatehouse’s POST ${CHECK_PATH} with a service token (as in ` +
            `authz-check) against Cerbos’s POST ${CERBOS_CHECK_PATH} with one resource and ` +
            `one action, each connection cycling through the ${questions.length} scenarios. ` +
            `Batches: ${BATCH_SIZE} checks of one subject per request (Cerbos takes one ` +
            `principal per request), Gatehouse’s POST ${BATCH_PATH} against CheckResources ` +
            `with ${BATCH_SIZE} resources of one action each, each batch verified to be decided ` +
            'alike before the run. Gatehouse runs twice: in the benchmark’s process (one event ' +
            'loop) and as deployed (`node dist/src/main.js`, a worker process per core), both ' +
            'asked the same table and batches first. Server CPU: in-process Gatehouse’s is every ' +
            'thread of the benchmark’s process but the load generator’s (its worker thread, ' +
            'started afresh for each round), deployed Gatehouse’s is its processes’ and Cerbos’s ' +
            'its process’s from /proc/<pid>/stat; cores busy is that CPU time over the round’s ' +
            'wall time.',
          settings:
            `${describeRounds(settings, connections)}, the same load generator and plans for ` +
            `both; Gatehouse’s database: ${app.database}.`,
          table: [
            `**Single checks** (ratios against ${cerbos.name})`,
            '',
            renderComparisonTable([loopChecks, ourChecks, theirChecks], theirChecks),
            '',
            `**Batches of ${BATCH_SIZE}** (ratios against ${cerbos.name}; one request is ` +
              `${BATCH_SIZE} decisions)`,
            '',
            renderComparisonTable([loopBatches, ourBatches, theirBatches], theirBatches),
          ].join('\n'),
          notes: [
            `Single checks: ${[loopChecks, ourChecks, theirChecks].map((f) => cpuNote(f, 1)).join('; ')}.`,
            `Batches: decisions/s ${[loopBatches, ourBatches, theirBatches]
              .map((f) => `${f.target} ${perSecond(f.requestsPerSecond * BATCH_SIZE)}`)
              .join(', ')}; ${[loopBatches, ourBatches, theirBatches]
              .map((f) => cpuNote(f, BATCH_SIZE))
              .join('; ')}.`,
            `The targets are judged on Gatehouse as deployed (${service.variant.name}, ` +
              `WEB_CONCURRENCY's default on ${cores} cores) against Cerbos as deployed (every ` +
              `core); with one event loop: single checks ` +
              `${(loopChecks.requestsPerSecond / theirChecks.requestsPerSecond).toFixed(2)}×, ` +
              `batches ${(loopBatches.requestsPerSecond / theirBatches.requestsPerSecond).toFixed(2)}×.`,
            againstTarget(
              `single check ≥ ${TARGET_CHECK_THROUGHPUT}× Cerbos's throughput`,
              `${checkRatio.toFixed(2)}×`,
              checkRatio >= TARGET_CHECK_THROUGHPUT,
            ),
            againstTarget(
              "single check p99 below Cerbos's",
              `${ourChecks.latencyP99Ms.toFixed(2)} ms against ${theirChecks.latencyP99Ms.toFixed(2)} ms`,
              ourChecks.latencyP99Ms < theirChecks.latencyP99Ms,
            ),
            againstTarget(
              `batch ≥ ${TARGET_BATCH_DECISIONS}× Cerbos's decisions/s`,
              `${batchRatio.toFixed(2)}×`,
              batchRatio >= TARGET_BATCH_DECISIONS,
            ),
          ],
        });
      } finally {
        await Promise.all([service.stop(), cerbos.close()]);
      }
    } finally {
      await fixture.remove();
    }
  },
};
