import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { HrSourcesService } from '../src/modules/provisioning/hr/hr-sources.service';
import { OktaPeer } from '../test/peers/okta-peer';
import type { Benchmark } from './benchmark';
import { renderSection } from './results-file';
import { BENCH_ACTOR } from './service-clients';
import { percentile } from './statistics';
import { separateDatabase, startGatehouse } from './targets';

const HIRES = 10_000;
/** Each Okta call of the enrichment run waits this long at the peer. */
const OKTA_LATENCY_MS = 200;
/** Deliveries in flight at once, each posting its next hire when answered. */
const CONNECTIONS = 50;
const DRAIN_TIMEOUT_MS = 20 * 60_000;

const now = () => performance.timeOrigin + performance.now();

function hire(run: string, i: number) {
  return {
    employee_id: `B-${run}-${i}`,
    first_name: 'Bench',
    last_name: `Hire ${i}`,
    preferred_name: null,
    email: `bench-hr-${i}-${run}@example.com`,
    title: 'Engineer',
    department: 'Research',
    start_date: '2027-01-04',
  };
}

/**
 * HR onboarding: how fast `POST /v1/hr/webhook` accepts new hires (API-key source; each a new
 * employee, so each is stored with its enrichment job before the 202), and how long 10,000 hires
 * take to be enriched against the Okta management API peer answering every call after 200 ms
 * (search by email, then groups and app links at once) and linked to invited accounts.
 */
export const hrOnboardingBenchmark: Benchmark = {
  id: 'hr-onboarding',
  budgetSeconds: 1800,
  async run({ settings, progress }) {
    const okta = await new OktaPeer().start();
    // Its enrichment jobs must be taken by this Gatehouse, the one that knows the Okta org.
    const own = await separateDatabase();
    const app = await startGatehouse(progress, {
      OKTA_ORG_URL: okta.baseUrl,
      OKTA_API_TOKEN: okta.apiToken,
      ...(own ? { DATABASE_URL: own.url } : {}),
    });
    try {
      const database = app.app.get(DataSource);
      const sources = app.app.get(HrSourcesService);
      const deliver = async (key: string, body: unknown): Promise<number | null> => {
        const started = now();
        const res = await fetch(`${app.baseUrl}/v1/hr/webhook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        return res.status === 202 ? now() - started : null;
      };

      progress(`acceptance: ${CONNECTIONS} connections for ${settings.durationS} s`);
      const acceptance = await sources.create(
        {
          name: `bench-accept-${randomUUID().slice(0, 8)}`,
          authMode: 'api_key',
          rateLimitPerMinute: 10_000_000,
          roleMappings: {},
        },
        BENCH_ACTOR,
      );
      const acceptRun = randomUUID().slice(0, 8);
      const latencies: number[] = [];
      let refused = 0;
      let next = 0;
      const acceptStart = now();
      const acceptUntil = acceptStart + settings.durationS * 1000;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (now() < acceptUntil) {
            const ms = await deliver(acceptance.secret, hire(acceptRun, next++));
            if (ms === null) refused++;
            else latencies.push(ms);
          }
        }),
      );
      const acceptSeconds = (now() - acceptStart) / 1000;
      latencies.sort((a, b) => a - b);
      if (latencies.length === 0) throw new Error('no delivery was accepted');

      progress(`acceptance: waiting for the ${latencies.length} accepted hires' jobs to finish`);
      await drained(database, acceptance.source.id, latencies.length);

      progress(`enrichment: seeding ${HIRES} people at the Okta peer`);
      const enrichRun = randomUUID().slice(0, 8);
      for (let i = 0; i < HIRES; i++) {
        const { email } = hire(enrichRun, i);
        okta.addUser(
          { login: email, email, firstName: 'Bench', lastName: `Hire ${i}` },
          {
            groups: [
              {
                id: '00gbench',
                type: 'OKTA_GROUP',
                profile: { name: 'Everyone', description: null },
              },
            ],
            appLinks: [
              {
                id: '0oabench',
                label: 'Slack',
                linkUrl: 'https://slack.example',
                appName: 'slack',
              },
            ],
          },
        );
      }
      okta.latencyMs = OKTA_LATENCY_MS;
      okta.maxInFlight = 0;
      const source = await sources.create(
        {
          name: `bench-enrich-${enrichRun}`,
          authMode: 'api_key',
          rateLimitPerMinute: 10_000_000,
          roleMappings: {},
        },
        BENCH_ACTOR,
      );
      progress(`enrichment: ${HIRES} hires, Okta answering after ${OKTA_LATENCY_MS} ms`);
      const enrichStart = now();
      let posted = 0;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (posted < HIRES) {
            const i = posted++;
            if ((await deliver(source.secret, hire(enrichRun, i))) === null) {
              throw new Error(`hire ${i} was not accepted`);
            }
          }
        }),
      );
      await drained(database, source.source.id, HIRES);
      const enrichSeconds = (now() - enrichStart) / 1000;
      const [outcome] = await database.query<{ completed: string; p50: number; p99: number }[]>(
        `SELECT count(*) FILTER (WHERE status = 'completed') AS completed,
                percentile_cont(0.5) WITHIN GROUP (
                  ORDER BY extract(epoch FROM finished_at - started_at) * 1000) AS p50,
                percentile_cont(0.99) WITHIN GROUP (
                  ORDER BY extract(epoch FROM finished_at - started_at) * 1000) AS p99
           FROM hr_enrichments WHERE source_id = $1`,
        [source.source.id],
      );
      const sequentialSeconds = (HIRES * 3 * OKTA_LATENCY_MS) / 1000;

      const ms = (value: number) => value.toFixed(1);
      return renderSection({
        title: 'HR onboarding: webhook acceptance and enrichment from Okta',
        description:
          'Acceptance: new hires (each a new employee) POSTed to `/v1/hr/webhook` with an API ' +
          'key over loopback by a closed loop of connections; the 202 comes once the hire and ' +
          'its enrichment job are committed (their enrichment runs meanwhile against the peer, ' +
          'which does not know them, and is drained before what follows). Enrichment: 10,000 hires posted, then timed until every ' +
          'one is enriched (Okta user by email, then groups and app links in parallel, each ' +
          'call answered by the Okta management API peer after a fixed latency) and linked to an ' +
          'invited account. "Sequential" is what three calls in a row per hire, one hire at a ' +
          'time, would take.',
        settings:
          `${CONNECTIONS} connections for ${settings.durationS} s; ${HIRES} hires, ` +
          `${OKTA_LATENCY_MS} ms per Okta call; database: ${app.database}.`,
        table: [
          '| scenario | figure |',
          '| --- | --- |',
          `| acceptance | ${(latencies.length / acceptSeconds).toFixed(0)} req/s; p50 ` +
            `${ms(percentile(latencies, 50))} ms, p99 ${ms(percentile(latencies, 99))} ms ` +
            `(${refused} refused) |`,
          `| ${HIRES} hires enriched | ${enrichSeconds.toFixed(1)} s, ${outcome.completed} ` +
            `completed (sequential: ${sequentialSeconds.toFixed(0)} s) |`,
          `| one enrichment (start to finish) | p50 ${ms(Number(outcome.p50))} ms, p99 ` +
            `${ms(Number(outcome.p99))} ms (three calls in a row: ${3 * OKTA_LATENCY_MS} ms) |`,
          `| Okta calls in flight at once | ${okta.maxInFlight} at most |`,
        ].join('\n'),
      });
    } finally {
      await app.close();
      await own?.drop();
      await okta.stop();
    }
  },
};

/** Waits until `expected` enrichments of the source have finished (completed or failed). */
async function drained(database: DataSource, sourceId: string, expected: number): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const [{ count }] = await database.query<{ count: string }[]>(
      'SELECT count(*) FROM hr_enrichments WHERE source_id = $1 AND finished_at IS NOT NULL',
      [sourceId],
    );
    if (Number(count) >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${count} of ${expected} hires were enriched`);
    await sleep(500);
  }
}
