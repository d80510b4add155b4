import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ADMIN_ROLE } from '../src/modules/access/built-in-roles';
import { AccessService } from '../src/modules/access/access.service';
import { AuditChain } from '../src/modules/audit/audit-chain';
import { AuditChainVerifier } from '../src/modules/audit/audit-chain-verifier';
import { UsersService } from '../src/modules/users/users.service';
import { createActiveAccounts, signIn } from './accounts';
import type { Benchmark } from './benchmark';
import { againstTarget, renderSection } from './results-file';
import { BENCH_ACTOR } from './service-clients';
import { percentile } from './statistics';
import type { GatehouseServer } from './targets';

/** Rows seeded: the 1,000,000 unless AUDIT_BENCH_ROWS says fewer (a quick check). */
function seededRows(): number {
  const raw = process.env.AUDIT_BENCH_ROWS;
  if (raw === undefined || raw === '') return 1_000_000;
  if (!/^\d+$/.test(raw) || Number(raw) < 1000) {
    throw new Error(`AUDIT_BENCH_ROWS must be a whole number of at least 1000, got "${raw}"`);
  }
  return Number(raw);
}

const SEED_BATCH = 50_000;
const USERS = 10_000;
const ADMINS = 20;
/** Addresses, ten to a /24 network. */
const ADDRESSES = 20_000;
const SPAN_DAYS = 90;
const QUERIES_PER_FILTER = 200;
const WARMUP_QUERIES = 20;
const TARGET_P95_MS = 50;
/** How often RSS is sampled while an export runs. */
const RSS_SAMPLE_MS = 50;

const now = () => performance.now();

/**
 * One statement seeding rows `from` to `to` - 1, spread evenly over SPAN_DAYS ending now: 85 %
 * authentication rows (sign-ins, refreshes, a few failures) of 10,000 users from 20,000
 * addresses, 15 % administrative changes by 20 admins. Ids are UUIDv7 of their instant. The
 * personal columns hold ciphertext-sized values that no key opens, as if erased: a page still
 * tries to open each.
 */
const SEED_SQL = `
  WITH n AS (
    SELECT i, $3::bigint + (i * $4::bigint) AS ms, i % 100 AS bucket,
           (i * 7919) % ${USERS} AS u, (i * 31) % ${ADDRESSES} AS a
      FROM generate_series($1::bigint, $2::bigint - 1) AS i
  ), r AS (
    SELECT n.*,
      (lpad(to_hex(ms), 12, '0') || '7' || substr(md5(i::text), 1, 3) || '8'
        || substr(md5(i::text || 'x'), 1, 15))::uuid AS id,
      CASE WHEN bucket < 15 THEN 'administrative' ELSE 'authentication' END AS kind,
      CASE
        WHEN bucket < 5 THEN 'role.update' WHEN bucket < 10 THEN 'user_role.grant'
        WHEN bucket < 12 THEN 'policy.update' WHEN bucket < 14 THEN 'client.create'
        WHEN bucket < 15 THEN 'role.create' WHEN bucket < 20 THEN 'auth.login'
        WHEN bucket < 55 THEN 'auth.login' WHEN bucket < 90 THEN 'auth.refresh'
        WHEN bucket < 95 THEN 'auth.logout' WHEN bucket < 97 THEN 'auth.mfa_verify'
        WHEN bucket < 99 THEN 'auth.password_change' ELSE 'auth.email_change' END AS action
      FROM n
  )
  INSERT INTO audit_events (id, kind, actor_type, actor_id, action, action_family, outcome,
    reason, target_type, target_id, user_id, session_id, details, request_id, actor_personal,
    ip_network, ip_hmac, created_at)
  SELECT id, kind,
    CASE WHEN bucket BETWEEN 15 AND 19 THEN 'anonymous' ELSE 'user' END,
    CASE WHEN bucket < 15 THEN ($5::uuid[])[1 + i % ${ADMINS}]::text
         WHEN bucket BETWEEN 15 AND 19 THEN NULL ELSE ($6::uuid[])[1 + u]::text END,
    action, split_part(action, '.', 1),
    CASE WHEN bucket BETWEEN 15 AND 19 THEN 'failure' ELSE 'success' END,
    CASE WHEN bucket BETWEEN 15 AND 19 THEN 'wrong_password' END,
    CASE WHEN kind = 'authentication' THEN 'account' WHEN action = 'user_role.grant' THEN 'user'
         ELSE split_part(action, '.', 1) END,
    CASE WHEN kind = 'authentication' OR action = 'user_role.grant' THEN ($6::uuid[])[1 + u]::text
         ELSE md5(i::text) END,
    CASE WHEN kind = 'authentication' OR action = 'user_role.grant' THEN ($6::uuid[])[1 + u] END,
    NULL,
    CASE WHEN kind = 'administrative' THEN jsonb_build_object('policy_set_version', i) ELSE '{}' END,
    'bench-' || i,
    'k1.' || md5(i::text) || md5((i + 1)::text) || md5((i + 2)::text) || md5((i + 3)::text),
    ('10.' || ((a / 10) >> 8) || '.' || ((a / 10) & 255) || '.0/24')::cidr,
    sha256(('ip' || a)::bytea),
    to_timestamp(ms / 1000.0)
  FROM r`;

interface Scenario {
  name: string;
  /** The query string of request `k`, varied so no two requests in a row ask the same. */
  query: (k: number) => string;
}

async function adminToken(gatehouse: GatehouseServer): Promise<string> {
  const [account] = await createActiveAccounts(gatehouse, 'audit-admin', 1);
  const user = await gatehouse.app.get(UsersService).findByEmail(account.email);
  if (!user) throw new Error('the administrator just created is missing');
  await gatehouse.app.get(AccessService).grantRole(user.id, ADMIN_ROLE, BENCH_ACTOR);
  const [{ access_token: accessToken }] = await signIn(gatehouse, [account], 1);
  return accessToken;
}

async function timedGet(gatehouse: GatehouseServer, path: string, token: string): Promise<number> {
  const started = now();
  const response = await fetch(`${gatehouse.baseUrl}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${body}`);
  return now() - started;
}

/** Index scans and sequential scans of audit_events so far (statistics lag about a second). */
async function scanCounts(
  database: DataSource,
): Promise<{ indexes: Map<string, number>; seq: number }> {
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const indexes = await database.query<{ name: string; scans: string }[]>(
    `SELECT indexrelname AS name, idx_scan AS scans FROM pg_stat_user_indexes
      WHERE relname = 'audit_events'`,
  );
  const [{ seq }] = await database.query<{ seq: string }[]>(
    `SELECT seq_scan AS seq FROM pg_stat_user_tables WHERE relname = 'audit_events'`,
  );
  return { indexes: new Map(indexes.map((i) => [i.name, Number(i.scans)])), seq: Number(seq) };
}

const fmt = (ms: number) => ms.toFixed(1);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

export const auditLogBenchmark: Benchmark = {
  id: 'audit-log',
  budgetSeconds: 3600,
  async run({ gatehouse, progress }) {
    const app = await gatehouse();
    const database = app.app.get(DataSource);
    const rows = seededRows();
    const users = Array.from({ length: USERS }, () => randomUUID());
    const admins = Array.from({ length: ADMINS }, () => randomUUID());
    const spanMs = SPAN_DAYS * 86_400_000;
    const stepMs = Math.max(1, Math.floor(spanMs / rows));
    const startMs = Date.now() - stepMs * rows;

    progress(`seeding ${rows.toLocaleString('en-US')} rows`);
    let started = now();
    for (let from = 0; from < rows; from += SEED_BATCH) {
      const to = Math.min(rows, from + SEED_BATCH);
      await database.query(SEED_SQL, [from, to, startMs, stepMs, admins, users]);
      progress(`seeded ${to.toLocaleString('en-US')}`);
    }
    await database.query('ANALYZE audit_events');
    const seedS = (now() - started) / 1000;

    progress('sealing the chain');
    started = now();
    await app.app.get(AuditChain).sealPending();
    const sealS = (now() - started) / 1000;

    const token = await adminToken(app);
    const [{ total }] = await database.query<{ total: string }[]>(
      'SELECT count(*) AS total FROM audit_events',
    );
    const ip = (k: number) => {
      const a = (k * 7) % ADDRESSES;
      return { network: `10.${(a / 10) >> 8}.${Math.floor(a / 10) & 255}.0`, a };
    };
    const user = (k: number) => users[(k * 13) % USERS];
    const day = (k: number) => {
      const from = new Date(startMs + ((k * 86_400_000) % (spanMs - 86_400_000)));
      return `from=${from.toISOString()}&to=${new Date(from.getTime() + 86_400_000).toISOString()}`;
    };
    const scenarios: Scenario[] = [
      { name: 'none (newest page)', query: () => '' },
      { name: 'actor (user)', query: (k) => `actor_id=${user(k)}` },
      { name: 'actor (admin)', query: (k) => `actor_id=${admins[k % ADMINS]}` },
      { name: 'target user', query: (k) => `user_id=${user(k)}` },
      { name: 'action, exact (1 %)', query: () => 'action=auth.email_change' },
      { name: 'action family (`role.*`)', query: () => 'action=role.*' },
      { name: 'outcome=failure', query: () => 'outcome=failure' },
      { name: 'ip, /24 network', query: (k) => `ip=${ip(k).network}/24` },
      { name: 'ip, /16 network', query: (k) => `ip=10.${(ip(k).a / 10) >> 8}.0.0/16` },
      { name: 'request id', query: (k) => `request_id=bench-${(k * 4999) % rows}` },
      { name: 'time range (1 day)', query: (k) => day(k) },
      { name: 'target user + `auth.*`', query: (k) => `user_id=${user(k)}&action=auth.*` },
      { name: 'family + time range', query: (k) => `action=auth.*&${day(k)}` },
    ];
    const results: { name: string; p50: number; p95: number; indexes: string; seq: number }[] = [];
    for (const scenario of scenarios) {
      progress(`querying: ${scenario.name}`);
      const path = (k: number) => `/v1/admin/audit-events?limit=50&${scenario.query(k)}`;
      for (let k = 0; k < WARMUP_QUERIES; k++) await timedGet(app, path(k + 10_000), token);
      const before = await scanCounts(database);
      const times: number[] = [];
      for (let k = 0; k < QUERIES_PER_FILTER; k++) times.push(await timedGet(app, path(k), token));
      const after = await scanCounts(database);
      times.sort((a, b) => a - b);
      const used = [...after.indexes]
        .filter(
          ([name, scans]) => scans - (before.indexes.get(name) ?? 0) >= QUERIES_PER_FILTER / 2,
        )
        .map(([name]) => `\`${name}\``);
      results.push({
        name: scenario.name,
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        indexes: used.join(', ') || '-',
        seq: after.seq - before.seq,
      });
    }

    progress('exporting every row');
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, RSS_SAMPLE_MS);
    started = now();
    const requested = await fetch(`${app.baseUrl}/v1/admin/audit-exports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'ndjson' }),
    });
    const { id } = (await requested.json()) as { id: string };
    let exported: { status: string; rows: number; download_url: string };
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const status = await fetch(`${app.baseUrl}/v1/admin/audit-exports/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      exported = (await status.json()) as typeof exported;
      if (exported.status !== 'pending') break;
    }
    const exportS = (now() - started) / 1000;
    const exportPeak = rssPeak - rssBefore;
    if (exported.status !== 'ready') throw new Error(`the export ${exported.status}`);
    started = now();
    const download = await fetch(`${app.baseUrl}${exported.download_url}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    let bytes = 0;
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
    }
    const downloadS = (now() - started) / 1000;
    clearInterval(sampler);
    const downloadPeak = rssPeak - rssBefore;

    progress('verifying the chain');
    started = now();
    const report = await app.app.get(AuditChainVerifier).verify();
    const verifyS = (now() - started) / 1000;
    if (!report.valid) throw new Error(`the chain does not verify: ${report.finding?.detail}`);

    const worst = Math.max(...results.map((r) => r.p95));
    const table = [
      '| filter | p50 ms | p95 ms | indexes scanned | sequential scans |',
      '| --- | ---: | ---: | --- | ---: |',
      ...results.map(
        (r) => `| ${r.name} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${r.indexes} | ${r.seq} |`,
      ),
    ].join('\n');
    return renderSection({
      title: 'Audit log: queries, export and verification',
      description:
        `GET /v1/admin/audit-events (50 rows a page, through HTTP with an admin token) on ` +
        `${Number(total).toLocaleString('en-US')} rows, one filter at a time (values varied ` +
        'request by request), an NDJSON export of every row, and audit:verify over the sealed chain.',
      settings:
        `${app.database}; ${rows.toLocaleString('en-US')} rows seeded over ${SPAN_DAYS} days ` +
        `(85 % authentication, 15 % administrative; ${USERS.toLocaleString('en-US')} users, ` +
        `${ADDRESSES.toLocaleString('en-US')} addresses) in ${seedS.toFixed(1)} s; ` +
        `${QUERIES_PER_FILTER} requests per filter, one at a time, after ${WARMUP_QUERIES} to warm up`,
      table,
      notes: [
        againstTarget(
          `p95 ≤ ${TARGET_P95_MS} ms for every filter`,
          `worst p95 ${fmt(worst)} ms`,
          worst <= TARGET_P95_MS,
        ),
        `Sealing the ${rows.toLocaleString('en-US')} rows into the hash chain: ${sealS.toFixed(1)} s ` +
          `(${Math.round(rows / sealS).toLocaleString('en-US')} rows/s).`,
        `Export of every row (NDJSON): ${exportS.toFixed(1)} s to ready, ${exported.rows.toLocaleString('en-US')} rows; ` +
          `peak RSS growth ${mib(exportPeak)} MiB. Download, decrypted as it streams: ` +
          `${mib(bytes)} MiB in ${downloadS.toFixed(1)} s; peak RSS growth to the end ${mib(downloadPeak)} MiB.`,
        `Chain verification of ${report.rowsChecked.toLocaleString('en-US')} rows: ${verifyS.toFixed(1)} s.`,
        'Indexes scanned: those scanned at least once per two requests during a filter’s requests ' +
          '(pg_stat_user_indexes); sequential scans of audit_events in the same time.',
        'The seeded personal columns are ciphertext-sized values no key opens (as if erased); each ' +
          'page still tries to open them.',
      ],
    });
  },
};
