import { strFromU8, unzipSync } from 'fflate';
import { DataSource } from 'typeorm';
import { uuidV7 } from '../src/common/ids/uuid-v7';
import { Transactions } from '../src/database/transactions';
import { AuditLog, AuditRecord } from '../src/modules/audit/audit-log';
import { PersonalDataExports } from '../src/modules/privacy/personal-data-exports.service';
import { RetentionPurge } from '../src/modules/retention/retention-purge';
import { UsersService } from '../src/modules/users/users.service';
import { createActiveAccounts, LOGIN_PATH, loginRequests } from './accounts';
import type { Benchmark } from './benchmark';
import { httpTarget, Sample } from './load-generator';
import { threadpoolSize } from './machine';
import { renderSection } from './results-file';

/** The person: 10,000 audit rows about them. */
const EVENTS = 10_000;
const RECORD_BATCH = 500;
/** The purge: 1,000,000 rows past their retention, unless PURGE_BENCH_ROWS says fewer. */
function purgedRows(): number {
  const raw = process.env.PURGE_BENCH_ROWS;
  if (raw === undefined || raw === '') return 1_000_000;
  if (!/^\d+$/.test(raw) || Number(raw) < 10_000) {
    throw new Error(`PURGE_BENCH_ROWS must be a whole number of at least 10000, got "${raw}"`);
  }
  return Number(raw);
}
const SEED_BATCH = 100_000;
/** Login samples are this long; as many are taken before, during and after the purge. */
const SAMPLE_S = 2;
const ACCOUNTS_PER_CONNECTION = 16;
const POLL_MS = 20;

const now = () => performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** Audit records of sign-ins of one user, from a few addresses and browsers, as the relay writes them. */
function signInRecords(userId: string, count: number, offset: number): AuditRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: uuidV7(),
    kind: 'authentication' as const,
    actor: { type: 'user' as const, id: userId },
    action: (offset + i) % 10 === 0 ? 'auth.password_change' : 'auth.login',
    outcome: 'success' as const,
    reason: null,
    target: { type: 'account', id: userId },
    userId,
    sessionId: null,
    details: {},
    requestId: null,
    ip: `10.${(offset + i) % 7}.${(offset + i) % 13}.${(offset + i) % 200}`,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0',
    occurredAt: new Date(),
  }));
}

export const privacyBenchmark: Benchmark = {
  id: 'privacy',
  budgetSeconds: 600,
  async run({ gatehouse, progress }) {
    const app = await gatehouse();
    const database = app.app.get(DataSource);
    const transactions = app.app.get(Transactions);

    // 1. A person's export with 10,000 events about them.
    const [person] = await createActiveAccounts(app, 'gdpr', 1);
    const userId = (await app.app.get(UsersService).findByEmail(person.email))!.id;
    progress(`recording ${EVENTS.toLocaleString('en-US')} audit rows about one person`);
    const log = app.app.get(AuditLog);
    for (let offset = 0; offset < EVENTS; offset += RECORD_BATCH) {
      await transactions.run(() => log.record(signInRecords(userId, RECORD_BATCH, offset)));
    }
    const exports = app.app.get(PersonalDataExports);
    const reader = { type: 'user' as const, id: userId };
    const askedAt = now();
    const asked = await exports.request(userId, reader, {});
    let ready = asked;
    while (ready.status === 'pending') {
      await sleep(POLL_MS);
      ready = await exports.get(userId, asked.id);
    }
    const exportS = (now() - askedAt) / 1000;
    if (ready.status !== 'ready') throw new Error(`the export ${ready.status}: ${ready.error}`);
    const link = new URL(exports.downloadLink(reader, ready, '/x').path, 'http://bench');
    const { body } = await exports.download(
      userId,
      reader,
      ready.id,
      Number(link.searchParams.get('expires')),
      link.searchParams.get('signature')!,
    );
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const archive = Buffer.concat(chunks);
    const files = unzipSync(new Uint8Array(archive));
    const rowsInArchive = (JSON.parse(strFromU8(files['audit-events.json'])) as unknown[]).length;
    if (rowsInArchive < EVENTS) {
      throw new Error(`the archive holds ${rowsInArchive} audit rows, not ${EVENTS}`);
    }
    progress(`export ready in ${exportS.toFixed(2)} s (${archive.length} bytes)`);

    // 2. Logins while 1,000,000 ended sessions are purged.
    const threads = threadpoolSize();
    const connections = 2 * threads;
    const accounts = await createActiveAccounts(
      app,
      'purge',
      connections * ACCOUNTS_PER_CONNECTION,
    );
    const requestsByConnection = loginRequests(accounts, connections);
    const logins = httpTarget('login', () => ({
      url: `${app.baseUrl}${LOGIN_PATH}`,
      connections,
      plan: { kind: 'fixed-requests', requestsByConnection },
    }));
    const rows = purgedRows();
    progress(`seeding ${rows.toLocaleString('en-US')} sessions ended 60 days ago`);
    for (let from = 0; from < rows; from += SEED_BATCH) {
      await database.query(
        `INSERT INTO sessions (user_id, ip, user_agent, amr, auth_time, last_seen_at,
                               idle_expires_at, absolute_expires_at, revoked_at, revoke_reason)
         SELECT $1, '10.0.0.1', 'bench', '{pwd}', now() - interval '90 days',
                now() - interval '60 days', now() - interval '50 days', now() - interval '30 days',
                now() - interval '60 days', 'logout'
           FROM generate_series(1, $2)`,
        [userId, Math.min(SEED_BATCH, rows - from)],
      );
    }
    await database.query('ANALYZE sessions');
    await logins.measure(3);
    const samplesOf = async (count: number) => {
      const samples: Sample[] = [];
      for (let i = 0; i < count; i++) samples.push(await logins.measure(SAMPLE_S));
      return samples;
    };
    progress('logins without a purge');
    const before = await samplesOf(5);
    progress('logins while the retention job purges');
    const purge = app.app.get(RetentionPurge);
    let purgeDone = false;
    const purgeStarted = now();
    const purging = purge.run(new Date(), 30 * 60_000).finally(() => (purgeDone = true));
    const during: Sample[] = [];
    while (!purgeDone) during.push(await logins.measure(SAMPLE_S));
    const run = await purging;
    const purgeS = (now() - purgeStarted) / 1000;
    const sessionsPurged = run.purged.sessions ?? 0;
    progress(`purged ${sessionsPurged} sessions in ${purgeS.toFixed(1)} s`);
    const after = await samplesOf(5);
    const rate = (samples: Sample[]) => mean(samples.map((s) => s.requestsPerSecond));
    const p99 = (samples: Sample[]) => mean(samples.map((s) => s.latencyP99Ms));
    const baseline = rate([...before, ...after]);

    return renderSection({
      title:
        'Personal data: an export of 10,000 events, and a purge of 1,000,000 rows under logins',
      description:
        `An export (POST /v1/users/me/export's job, in-process) of a person with ${EVENTS.toLocaleString('en-US')} ` +
        'audit rows about them (sign-ins recorded through the audit log, their addresses and browsers ' +
        'sealed under the person’s key, opened again for the archive), timed from the request to ' +
        'status `ready`, then downloaded and unzipped to check it holds every row. Then the ' +
        `retention job purging ${rows.toLocaleString('en-US')} sessions that ended 60 days ago ` +
        `(RETENTION_SESSIONS_DAYS 30) in batches of ${app.config.retention.batchSize}, while ` +
        `password logins run against it (${connections} connections, ${SAMPLE_S} s samples): the ` +
        'login rate during the purge against the rate before and after it.',
      settings: `${connections} login connections, one request in flight each; samples of ${SAMPLE_S} s`,
      table: [
        '| measure | figure |',
        '| --- | --- |',
        `| export of ${EVENTS.toLocaleString('en-US')} events: request to ready | ${exportS.toFixed(2)} s |`,
        `| archive size (ZIP, deflated) | ${(archive.length / 1024).toFixed(0)} KiB, ${rowsInArchive.toLocaleString('en-US')} audit rows |`,
        `| purge of ${rows.toLocaleString('en-US')} ended sessions | ${purgeS.toFixed(1)} s (${Math.round(sessionsPurged / purgeS).toLocaleString('en-US')} rows/s), ${sessionsPurged.toLocaleString('en-US')} purged |`,
        `| logins without a purge (before and after) | ${baseline.toFixed(1)} req/s, p99 ${p99([...before, ...after]).toFixed(1)} ms |`,
        `| logins during the purge | ${rate(during).toFixed(1)} req/s, p99 ${p99(during).toFixed(1)} ms (${during.length} samples) |`,
        `| during / without | ${(rate(during) / baseline).toFixed(2)}× |`,
      ].join('\n'),
    });
  },
};
