import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { IdentityProvidersService } from '../src/modules/federation/identity-providers.service';
import { ProviderSyncs } from '../src/modules/federation/sync/provider-syncs.service';
import { OktaPeer } from '../test/peers/okta-peer';
import type { Benchmark } from './benchmark';
import type { PlannedRequest } from './connection-plan';
import { timeFederatedSignIns } from './federated-sign-in';
import { fire } from './load-generator';
import { renderSection } from './results-file';
import { BENCH_ACTOR } from './service-clients';
import { percentile } from './statistics';

const USERS = 10_000;
const ACK_RATE = 500;
/** Connections the deliveries arrive on (Okta sends a hook's deliveries concurrently). */
const ACK_CONNECTIONS = 50;
/** Okta's list bucket for this benchmark: requests per second (a page is 200 users). */
const LIST_RATE_LIMIT = 5;
const HOOK_AUTHORIZATION = 'Basic YmVuY2g6aG9vaw==';
const DRAIN_TIMEOUT_MS = 10 * 60_000;
/** Federated sign-ins timed each way (directly at the provider, and through Gatehouse). */
const SIGN_IN_PAIRS = 300;

const now = () => performance.timeOrigin + performance.now();

/**
 * Federation: what a federated sign-in through Gatehouse costs beyond the provider's own time
 * (the oidc-provider peer); and the Okta side of live sync: event hook deliveries acknowledged
 * while 500 a second arrive, the job that processes them (each re-reads its user from the Okta
 * management API peer), and a full sync of 10,000 linked users paginated through the peer under
 * a rate limit.
 */
export const federationSyncBenchmark: Benchmark = {
  id: 'federation-sync',
  budgetSeconds: 900,
  async run({ gatehouse, settings, progress }) {
    const app = await gatehouse();
    const database = app.app.get(DataSource);
    progress(
      `federated sign-in: ${SIGN_IN_PAIRS} directly at the provider, as many through Gatehouse`,
    );
    const signIns = await timeFederatedSignIns(app, SIGN_IN_PAIRS);
    const okta = await new OktaPeer().start();
    try {
      const provider = await app.app.get(IdentityProvidersService).create(
        {
          slug: `bench-okta-${randomUUID().slice(0, 8)}`,
          displayName: 'Bench Okta',
          kind: 'okta',
          issuer: 'https://okta.bench.example/oauth2/default',
          clientId: 'bench',
          clientSecret: 'bench-secret',
          scopes: [],
          claimMapping: {},
          mfaAcrValues: [],
          jitProvisioning: false,
          allowedEmailDomains: [],
          linkByEmail: false,
          redirectUris: ['https://app.bench.example/callback'],
          managementApiKind: 'okta',
          managementApiUrl: okta.baseUrl,
          managementApiToken: okta.apiToken,
          webhookSecret: HOOK_AUTHORIZATION,
          enabled: true,
        },
        BENCH_ACTOR,
      );

      progress(`seeding ${USERS} linked users at the peer and here`);
      const run = randomUUID();
      const subjects: string[] = [];
      for (let i = 0; i < USERS; i++) {
        const email = `bench-fed-${i}-${run}@example.com`;
        subjects.push(
          okta.addUser({ login: email, email, firstName: 'Bench', lastName: `User ${i}` }),
        );
      }
      await database.query(
        `WITH seeded AS (
           INSERT INTO users (email, email_verified_at, name, status)
           SELECT 'bench-fed-' || (n - 1) || '-' || $1 || '@example.com', now(), 'Bench', 'active'
             FROM generate_series(1, $2::int) AS n
           RETURNING id, email)
         INSERT INTO linked_identities (user_id, provider_id, issuer, subject, email)
         SELECT s.id, $3, $4, (($5::text[])[split_part(s.email, '-', 3)::int + 1]), s.email
           FROM seeded s`,
        [run, USERS, provider.id, provider.issuer, subjects],
      );

      // Every delivery different (its own event id), as many as the run could send and more,
      // so that no connection repeats one; the people's profiles changed at Okta beforehand.
      const total = ACK_RATE * settings.durationS;
      const deliveriesPerConnection = Math.ceil((2 * total) / ACK_CONNECTIONS);
      const requestsByConnection = Array.from({ length: ACK_CONNECTIONS }, (_, connection) =>
        Array.from({ length: deliveriesPerConnection }, (_, n): PlannedRequest => {
          const subject = subjects[(connection * deliveriesPerConnection + n) % USERS];
          okta.updateProfile(subject, { displayName: `Bench User ${connection}-${n}` });
          return {
            method: 'POST',
            path: `/v1/webhooks/okta/${provider.slug}`,
            headers: { 'content-type': 'application/json', authorization: HOOK_AUTHORIZATION },
            body: JSON.stringify({
              eventType: 'com.okta.event_hook',
              eventId: randomUUID(),
              data: {
                events: [
                  {
                    uuid: randomUUID(),
                    published: new Date().toISOString(),
                    eventType: 'user.account.update_profile',
                    target: [{ id: subject, type: 'User' }],
                  },
                ],
              },
            }),
          };
        }),
      );
      progress(`acknowledgements: ${ACK_RATE} deliveries/s for ${settings.durationS} s`);
      const processedBefore = await processedCount(database, provider.id);
      const storedBefore = await storedCount(database, provider.id);
      const start = now();
      const acks = await fire(
        'Okta event hook deliveries',
        {
          url: app.baseUrl,
          connections: ACK_CONNECTIONS,
          overallRate: ACK_RATE,
          plan: { kind: 'fixed-requests', requestsByConnection },
        },
        settings.durationS,
      );
      // Deliveries still in flight when autocannon stopped are stored but not counted by it.
      const accepted = (await storedCount(database, provider.id)) - storedBefore;
      if (accepted < acks.requests.total || accepted > acks.requests.total + ACK_CONNECTIONS) {
        throw new Error(`${acks.requests.total} deliveries acknowledged, ${accepted} stored`);
      }
      progress(`processing: waiting for the ${accepted} acknowledged events to be processed`);
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      while ((await processedCount(database, provider.id)) - processedBefore < accepted) {
        if (Date.now() > deadline) throw new Error('the events were never all processed');
        await sleep(200);
      }
      const processingSeconds = (now() - start) / 1000;

      progress(`full sync: ${USERS} users, ${LIST_RATE_LIMIT} list requests/s at the peer`);
      okta.rateLimit = { limit: LIST_RATE_LIMIT, windowSeconds: 1 };
      const syncs = app.app.get(ProviderSyncs);
      const syncStart = now();
      const { run: syncRun } = await syncs.start(provider.id, BENCH_ACTOR);
      let finished = syncRun;
      while (finished.status === 'running') {
        if (Date.now() > deadline + DRAIN_TIMEOUT_MS) throw new Error('the sync never finished');
        await sleep(200);
        finished = await syncs.get(provider.id, syncRun.id);
      }
      if (finished.status !== 'completed') throw new Error(`the sync ${finished.status}`);
      const syncSeconds = (now() - syncStart) / 1000;
      const throttled = okta.count('GET /api/v1/users?');

      const ms = (value: number) => value.toFixed(1);
      const overhead = (q: number) =>
        ms(percentile(signIns.gatehouse, q) - percentile(signIns.direct, q));
      return renderSection({
        title: 'Federation: sign-in overhead, Okta event hooks and full sync',
        description:
          'Federated sign-in: the authorization code flow with PKCE against the oidc-provider ' +
          'peer (Okta’s shape, in the same process), one at a time, alternating between a ' +
          'relying party of its own (openid-client: authorization URL, the browser’s steps at ' +
          'the provider, code exchange and ID token validation) and Gatehouse (`start`, the ' +
          'same steps at the provider, `callback`: code exchange, ID token validation, the ' +
          'linked user found, a session and token pair issued); the overhead is the difference ' +
          'of each percentile. ' +
          'Okta event hook deliveries (one `user.account.update_profile` event each, the ' +
          'configured `Authorization` value checked) POSTed over loopback at a steady rate; ' +
          'acknowledgement is the response time of the 204, given after the event row and its ' +
          'job are committed (autocannon’s, which sends a connection’s next delivery only once ' +
          'the last is answered, so a slow server gets fewer than the rate). Processing runs from the first delivery until the job has ' +
          're-read every user from the Okta management API peer (in the same process) and ' +
          'applied it. The full sync reads all users page by page (200 a page, following ' +
          '`Link` headers) under the peer’s rate limit, waiting out its 429s, and applies each ' +
          'page in one transaction.',
        settings:
          `${SIGN_IN_PAIRS} sign-ins each way (after 5 of warm-up), one person signing in ` +
          `again; ${USERS} linked users; ${ACK_RATE} deliveries/s for ${settings.durationS} s ` +
          `on ${ACK_CONNECTIONS} connections from autocannon in a worker thread; peer list limit ${LIST_RATE_LIMIT} requests/s; database: ${app.database}.`,
        table: [
          '| scenario | figure |',
          '| --- | --- |',
          `| federated sign-in, provider alone | p50 ${ms(percentile(signIns.direct, 50))} ms, ` +
            `p99 ${ms(percentile(signIns.direct, 99))} ms |`,
          `| federated sign-in through Gatehouse | p50 ${ms(percentile(signIns.gatehouse, 50))} ` +
            `ms, p99 ${ms(percentile(signIns.gatehouse, 99))} ms |`,
          `| federated sign-in overhead beyond the provider | p50 ${overhead(50)} ms, ` +
            `p99 ${overhead(99)} ms |`,
          `| acknowledgement at ${ACK_RATE}/s | ${acks.requests.total} deliveries ` +
            `(${acks.requests.average.toFixed(0)}/s) acknowledged with 204: p50 ` +
            `${acks.latency.p50} ms, p99 ${acks.latency.p99} ms, max ${acks.latency.max} ms |`,
          `| events processed | ${(accepted / processingSeconds).toFixed(0)} events/s ` +
            `(${accepted} in ${processingSeconds.toFixed(1)} s) |`,
          `| full sync of ${USERS} users | ${syncSeconds.toFixed(1)} s ` +
            `(${finished.pagesRead} pages, ${throttled} list requests with 429s) |`,
        ].join('\n'),
      });
    } finally {
      await okta.stop();
    }
  },
};

async function storedCount(database: DataSource, providerId: string): Promise<number> {
  const [{ count }] = await database.query<{ count: string }[]>(
    'SELECT count(*) FROM identity_provider_events WHERE provider_id = $1',
    [providerId],
  );
  return Number(count);
}

async function processedCount(database: DataSource, providerId: string): Promise<number> {
  const [{ count }] = await database.query<{ count: string }[]>(
    `SELECT count(*) FROM identity_provider_events
      WHERE provider_id = $1 AND processed_at IS NOT NULL`,
    [providerId],
  );
  return Number(count);
}
