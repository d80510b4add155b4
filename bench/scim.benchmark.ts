import { DataSource } from 'typeorm';
import type { Benchmark } from './benchmark';
import { renderSection } from './results-file';
import { clientToken, createServiceClients } from './service-clients';
import { percentile } from './statistics';
import type { GatehouseServer } from './targets';

/** Users seeded: the 100,000 unless SCIM_BENCH_USERS says fewer (a quick check). */
function seededUsers(): number {
  const raw = process.env.SCIM_BENCH_USERS;
  if (raw === undefined || raw === '') return 100_000;
  if (!/^\d+$/.test(raw) || Number(raw) < 1000) {
    throw new Error(`SCIM_BENCH_USERS must be a whole number of at least 1000, got "${raw}"`);
  }
  return Number(raw);
}

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SEED_BATCH = 20_000;
const QUERIES_PER_FILTER = 200;
const WARMUP_QUERIES = 20;
const WRITES = 1000;
const WRITE_CONCURRENCY = 10;

const now = () => performance.now();
const fmt = (ms: number) => ms.toFixed(1);

/**
 * One statement seeding users `from` to `to` - 1 as a provisioning client would have created
 * them: the account, and its SCIM User with a title, a work address and enterprise attributes.
 */
const SEED_SQL = `
  WITH n AS (SELECT i FROM generate_series($1::int, $2::int - 1) AS i),
  accounts AS (
    INSERT INTO users (email, name, status, email_verified_at)
    SELECT 'bench' || i || '@scim.example', 'Bench User ' || i, 'active', now() FROM n
    RETURNING id, email
  )
  INSERT INTO scim_users
    (user_id, client_id, external_id, user_name, active, attributes, created_at, updated_at)
  SELECT a.id, $3, 'ext-' || k.i, a.email, k.i % 10 <> 0,
         jsonb_build_object(
           'displayName', 'Bench User ' || k.i,
           'title', (ARRAY['Engineer', 'Manager', 'Designer', 'Analyst'])[k.i % 4 + 1],
           'emails', jsonb_build_array(
             jsonb_build_object('value', a.email, 'type', 'work', 'primary', true)),
           '${ENTERPRISE}', jsonb_build_object(
             'employeeNumber', k.i::text, 'department', 'Department ' || (k.i % 50))),
         date_trunc('milliseconds', now()), date_trunc('milliseconds', now())
    FROM accounts a
    CROSS JOIN LATERAL (SELECT substring(a.email FROM 'bench([0-9]+)@')::int AS i) k`;

interface Scenario {
  name: string;
  query: (k: number) => string;
}

async function timed(
  gatehouse: GatehouseServer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<number> {
  const started = now();
  const response = await fetch(`${gatehouse.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return now() - started;
}

/** Runs `count` requests, `concurrency` at a time: their latencies and the rate achieved. */
async function throughput(
  count: number,
  concurrency: number,
  request: (k: number) => Promise<number>,
): Promise<{ perSecond: number; p50: number; p95: number }> {
  const times: number[] = [];
  let next = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) times.push(await request(next++));
    }),
  );
  const seconds = (now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { perSecond: count / seconds, p50: percentile(times, 50), p95: percentile(times, 95) };
}

export const scimBenchmark: Benchmark = {
  id: 'scim',
  budgetSeconds: 1800,
  async run({ gatehouse, progress }) {
    const app = await gatehouse();
    const database = app.app.get(DataSource);
    const users = seededUsers();
    const [client] = await createServiceClients(app, 'scim', 1, ['scim:provision']);
    const token = (await clientToken(app, client, 'scim:provision')).access_token;

    progress(`seeding ${users.toLocaleString('en-US')} users`);
    const started = now();
    for (let from = 0; from < users; from += SEED_BATCH) {
      const to = Math.min(users, from + SEED_BATCH);
      await database.query(SEED_SQL, [from, to, client.clientId]);
      progress(`seeded ${to.toLocaleString('en-US')}`);
    }
    await database.query('ANALYZE users');
    await database.query('ANALYZE scim_users');
    const seedS = (now() - started) / 1000;

    const ids = await database.query<{ user_id: string }[]>(
      'SELECT user_id FROM scim_users WHERE client_id = $1 ORDER BY user_id LIMIT 1000',
      [client.clientId],
    );
    const user = (k: number) => (k * 7919) % users;
    const filtered = (filter: string, rest = '') =>
      `/scim/v2/Users?filter=${encodeURIComponent(filter)}${rest}`;
    const scenarios: Scenario[] = [
      {
        name: '`userName eq` (the lookup before a create)',
        query: (k) => filtered(`userName eq "BENCH${user(k)}@scim.example"`),
      },
      { name: '`externalId eq`', query: (k) => filtered(`externalId eq "ext-${user(k)}"`) },
      { name: 'GET /Users/{id}', query: (k) => `/scim/v2/Users/${ids[k % ids.length].user_id}` },
      {
        name: '`userName sw` (about 11 users)',
        query: (k) => filtered(`userName sw "bench${(user(k) % 9000) + 1000}"`),
      },
      {
        name: '`title eq … and active eq true`, 100 a page',
        query: () => filtered('title eq "engineer" and active eq true', '&count=100'),
      },
      {
        name: '`emails[type eq "work" and value eq …]`',
        query: (k) =>
          filtered(`emails[type eq "work" and value eq "bench${user(k)}@scim.example"]`),
      },
      {
        name: 'enterprise `employeeNumber eq`',
        query: (k) => filtered(`${ENTERPRISE}:employeeNumber eq "${user(k)}"`),
      },
      {
        name: 'no filter, page in the middle (`startIndex`)',
        query: (k) => `/scim/v2/Users?startIndex=${(user(k) % (users - 100)) + 1}&count=100`,
      },
    ];

    const results: { name: string; p50: number; p95: number }[] = [];
    for (const scenario of scenarios) {
      progress(`listing: ${scenario.name}`);
      for (let k = 0; k < WARMUP_QUERIES; k++) {
        await timed(app, token, 'GET', scenario.query(k + 10_000));
      }
      const times: number[] = [];
      for (let k = 0; k < QUERIES_PER_FILTER; k++) {
        times.push(await timed(app, token, 'GET', scenario.query(k)));
      }
      times.sort((a, b) => a - b);
      results.push({ name: scenario.name, p50: percentile(times, 50), p95: percentile(times, 95) });
    }

    progress(`creating ${WRITES} users`);
    const runTag = Date.now().toString(36);
    const creates = await throughput(WRITES, WRITE_CONCURRENCY, (k) =>
      timed(app, token, 'POST', '/scim/v2/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        userName: `new-${runTag}-${k}@scim.example`,
        externalId: `new-${runTag}-${k}`,
        name: { givenName: 'New', familyName: `Hire ${k}` },
        emails: [{ value: `new-${runTag}-${k}@scim.example`, type: 'work', primary: true }],
        active: true,
        [ENTERPRISE]: { employeeNumber: `n${k}`, department: 'Onboarding' },
      }),
    );

    progress(`patching ${WRITES} users`);
    const patches = await throughput(WRITES, WRITE_CONCURRENCY, (k) =>
      timed(app, token, 'PATCH', `/scim/v2/Users/${ids[k % ids.length].user_id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'replace', path: 'title', value: `Title ${k}` },
          { op: 'replace', path: `${ENTERPRISE}:department`, value: `Department ${k % 7}` },
        ],
      }),
    );

    const table = [
      '| request | p50 ms | p95 ms |',
      '| --- | ---: | ---: |',
      ...results.map((r) => `| ${r.name} | ${fmt(r.p50)} | ${fmt(r.p95)} |`),
    ].join('\n');
    return renderSection({
      title: 'SCIM 2.0: filtered lists, creates and patches',
      description:
        `GET /scim/v2/Users with a provisioning client's token over ` +
        `${users.toLocaleString('en-US')} provisioned users, one filter at a time (values varied ` +
        'request by request); then POST /scim/v2/Users (an account and its User, with events and ' +
        'audit rows, no password) and PATCH /scim/v2/Users/{id} (two attributes) throughput.',
      settings:
        `${app.database}; ${users.toLocaleString('en-US')} users seeded in ${seedS.toFixed(1)} s; ` +
        `${QUERIES_PER_FILTER} list requests per filter, one at a time, after ${WARMUP_QUERIES} ` +
        `to warm up; ${WRITES} creates and ${WRITES} patches, ${WRITE_CONCURRENCY} at a time`,
      table,
      notes: [
        `Creates: ${creates.perSecond.toFixed(1)}/s, p50 ${fmt(creates.p50)} ms, p95 ${fmt(creates.p95)} ms.`,
        `Patches: ${patches.perSecond.toFixed(1)}/s, p50 ${fmt(patches.p50)} ms, p95 ${fmt(patches.p95)} ms.`,
        '`userName`, `externalId` and `id` are served by indexes; filters on other attributes ' +
          '(value paths, enterprise attributes, titles) read the JSONB document of each User the ' +
          "client sees; `startIndex` paging skips the rows before the page's start.",
      ],
    });
  },
};
