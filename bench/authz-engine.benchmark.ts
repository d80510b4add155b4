import os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { CompiledPolicySet } from '../src/modules/authz/engine/compiled-policy-set';
import type { AuthzRequest } from '../src/modules/authz/engine/authz-request';
import { agreementRequests, cedarCall, equivalentPolicySets, SCENARIOS } from './authz-policy-sets';
import type { Benchmark } from './benchmark';
import { clockOverheadUs, type DecisionFigures, measureDecisions } from './decision-timing';
import { againstTarget, renderSection } from './results-file';

const SIZES = [10, 100, 1000];
/** The targets, at 100 policies. */
const TARGET_MEDIAN_US = 5;
const TARGET_SPEEDUP = 2;

function cedarAllows(answer: cedar.AuthorizationAnswer): boolean {
  if (answer.type === 'failure') {
    throw new Error(`Cedar failed: ${answer.errors.map((error) => error.message).join('; ')}`);
  }
  return answer.response.decision === 'allow';
}

/** Cedar keeps preparsed policy sets in the WebAssembly instance, under an id. */
function preparseCedar(id: string, policies: Record<string, string>): number {
  const started = performance.now();
  const answer = cedar.preparsePolicySet(id, { staticPolicies: policies });
  if (answer.type === 'failure') {
    throw new Error(
      `Cedar refused the policies: ${answer.errors.map((e) => e.message).join('; ')}`,
    );
  }
  return performance.now() - started;
}

/** Both engines must answer every request alike, or the comparison means nothing. */
function assertAgreement(
  set: CompiledPolicySet,
  cedarSetId: string,
  requests: AuthzRequest[],
): void {
  for (const request of requests) {
    const ours = set.evaluate(request).allowed;
    const theirs = cedarAllows(cedar.statefulIsAuthorized(cedarCall(request, cedarSetId)));
    if (ours !== theirs) {
      throw new Error(
        `the engines disagree on ${JSON.stringify(request)}: Gatehouse ${ours}, Cedar ${theirs}`,
      );
    }
  }
}

const microseconds = (value: number) =>
  value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
const perSecond = (value: number) => Math.round(value).toLocaleString('en-US');
const times = (value: number) =>
  `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')}×`;

interface Row {
  size: number;
  scenario: string;
  expected: string;
  ours: DecisionFigures;
  cedar: DecisionFigures;
}

function renderTable(rows: Row[]): string {
  return [
    '| policies | scenario | decision | Gatehouse median µs | p99 µs | decisions/s (min–max) | Cedar median µs | p99 µs | decisions/s (min–max) | median: Cedar ÷ Gatehouse | decisions/s: Gatehouse ÷ Cedar |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(({ size, scenario, expected, ours, cedar: peer }) =>
      [
        '',
        size.toLocaleString('en-US'),
        scenario,
        expected,
        microseconds(ours.medianUs),
        microseconds(ours.p99Us),
        `${perSecond(ours.decisionsPerSecond)} (${ours.decisionsPerSecondRange.map(perSecond).join('–')})`,
        microseconds(peer.medianUs),
        microseconds(peer.p99Us),
        `${perSecond(peer.decisionsPerSecond)} (${peer.decisionsPerSecondRange.map(perSecond).join('–')})`,
        times(peer.medianUs / ours.medianUs),
        times(ours.decisionsPerSecond / peer.decisionsPerSecond),
        '',
      ]
        .join(' | ')
        .trim(),
    ),
  ].join('\n');
}

export const authzEngineBenchmark: Benchmark = {
  id: 'authz-engine',
  async run({ settings, progress }) {
    // In-process calls take microseconds: a tenth of the HTTP benchmarks' durations is plenty.
    const timing = {
      warmupMs: settings.warmupS * 100,
      roundMs: settings.durationS * 100,
      rounds: settings.rounds,
    };
    const cedarName = `Cedar ${cedar.getCedarVersion()} (cedar-wasm)`;
    const loadBefore = os.loadavg()[0];
    const rows: Row[] = [];
    const compileNotes: string[] = [];
    let agreementChecks = 0;
    for (const size of SIZES) {
      const sets = equivalentPolicySets(size);
      const compileStarted = performance.now();
      const set = CompiledPolicySet.compile(1, sets.policies, sets.roles);
      const compileMs = performance.now() - compileStarted;
      const cedarSetId = `gatehouse-${size}`;
      const preparseMs = preparseCedar(cedarSetId, sets.cedar);
      compileNotes.push(
        `${size.toLocaleString('en-US')} policies: CompiledPolicySet.compile ${compileMs.toFixed(1)} ms, ` +
          `Cedar preparsePolicySet ${preparseMs.toFixed(1)} ms.`,
      );
      const requests = [...SCENARIOS.map((scenario) => scenario.request), ...agreementRequests()];
      assertAgreement(set, cedarSetId, requests);
      agreementChecks += requests.length;
      for (const scenario of SCENARIOS) {
        progress(`${size} policies, ${scenario.id}`);
        const expected = scenario.expected === 'allow';
        const call = cedarCall(scenario.request, cedarSetId);
        const [ours, peer] = await measureDecisions(
          [
            { name: 'Gatehouse', decide: () => set.evaluate(scenario.request).allowed, expected },
            {
              name: cedarName,
              decide: () => cedarAllows(cedar.statefulIsAuthorized(call)),
              expected,
            },
          ],
          timing,
        );
        rows.push({
          size,
          scenario: scenario.title,
          expected: scenario.expected,
          ours,
          cedar: peer,
        });
      }
    }
    const atTarget = rows.filter((row) => row.size === 100);
    const slowestMedian = Math.max(...atTarget.map((row) => row.ours.medianUs));
    const smallestSpeedup = Math.min(
      ...atTarget.map((row) => row.cedar.medianUs / row.ours.medianUs),
    );
    return renderSection({
      title: 'Authorization engine, in process: CompiledPolicySet against Cedar',
      description:
        'One decision at a time in this process, no HTTP: `CompiledPolicySet.evaluate` against ' +
        `${cedarName}'s \`statefulIsAuthorized\` with the same policies preparsed once ` +
        '(`preparsePolicySet`), on three scenarios over sets of 10, 100 and 1,000 policies: a ' +
        'permission of a role the subject holds, an allow whose condition compares the ' +
        'resource’s owner with the subject, and an allow overridden by a deny whose condition ' +
        'holds. Fillers spread over ten resource types, five verbs and fifty roles the subjects do ' +
        'not hold, a fifth of them denies and a third with conditions; those on the scenarios’ ' +
        'actions are candidates both engines must reject. All policies share one priority, where ' +
        'our semantics and Cedar’s (a forbid wins, else a permit, else deny) coincide. Cedar gets ' +
        'each request as a call object built once, with the principal (roles as parents), the ' +
        'resource and the action (its `type:*` group as parent) as entities; it converts them ' +
        'into WebAssembly on every call, which is part of its cost as a Node.js library.',
      settings:
        `per scenario and engine a ${timing.warmupMs} ms warm-up, then ${timing.rounds} rounds ` +
        `of ${timing.roundMs} ms alternating between the engines: half timing each call with ` +
        'performance.now(), half counting calls in untimed batches of 100 (decisions/s).',
      table: renderTable(rows),
      notes: [
        againstTarget(
          `median ≤ ${TARGET_MEDIAN_US} µs at 100 policies`,
          `${microseconds(slowestMedian)} µs in the slowest scenario`,
          slowestMedian <= TARGET_MEDIAN_US,
        ),
        againstTarget(
          `≥ ${TARGET_SPEEDUP}× the faster peer at 100 policies (Cedar here; node-casbin is not measured)`,
          `${times(smallestSpeedup)} in the closest scenario`,
          smallestSpeedup >= TARGET_SPEEDUP,
        ),
        `Both engines gave the same decision on each of ${agreementChecks} requests (every ` +
          'scenario, its negation and requests from each filler role over every type and verb) ' +
          'before any timing, and every timed call is checked against the expected answer.',
        `Reading the clock around each timed call costs about ${microseconds(clockOverheadUs())} µs, ` +
          'included in the medians and p99s, not in decisions/s.',
        ...compileNotes,
        // In-process figures move with whatever else the cores run; this says how busy they were.
        `1-minute load average ${loadBefore.toFixed(2)} when the run started, ` +
          `${os.loadavg()[0].toFixed(2)} when it ended, on ${os.cpus().length} cores.`,
      ],
    });
  },
};
