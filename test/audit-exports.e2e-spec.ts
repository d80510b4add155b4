import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Actor } from '../src/common/auth/actor';
import { AuditExports, EXPORT_QUEUE } from '../src/modules/audit/audit-exports.service';
import { RELAY_LOCK_KEY } from '../src/modules/events/outbox.repository';
import { createVerifiedAccount, get, login, settled, uniqueIp } from './support/accounts';
import { send, signedInAdmin, signedInUser, SignedInUser } from './support/access';
import { expectInvalidField, expectProblem, sleep } from './support/assertions';
import { itOnServer } from './support/server-only';
import { startTestApp, TestApp } from './support/test-app';

interface ExportBody {
  id: string;
  status: string;
  format: string;
  filter: Record<string, string>;
  rows: number | null;
  error: string | null;
  download_url: string | null;
  download_expires_at: string | null;
}

interface AuditPage {
  items: { id: string; action: string; ip: string | null }[];
  next_cursor: string | null;
}

describe('audit exports', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: SignedInUser;
  let otherAdmin: SignedInUser;
  let user: { id: string; email: string; password: string };
  const ip = uniqueIp();

  const requestExport = (body: unknown, token = admin.token) =>
    send(t, 'POST', '/v1/admin/audit-exports', token, body);

  async function ready(id: string, token = admin.token): Promise<ExportBody> {
    await settled(t);
    const res = await get(t, `/v1/admin/audit-exports/${id}`, token);
    expect(res.statusCode).toBe(200);
    return res.json<ExportBody>();
  }

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    admin = await signedInAdmin(t);
    otherAdmin = await signedInAdmin(t);
    const account = await createVerifiedAccount(t);
    for (let i = 0; i < 5; i++) {
      await login(t, account.email, account.password, { ip, userAgent: 'Export, "quoted"' });
    }
    await settled(t);
    const [{ id }] = await db.query<{ id: string }[]>('SELECT id FROM users WHERE email = $1', [
      account.email.toLowerCase(),
    ]);
    user = { ...account, id };
  });
  afterAll(() => t.close());

  it('builds an NDJSON file of the filtered rows, oldest first, downloaded decrypted', async () => {
    const res = await requestExport({ filter: { user_id: user.id }, format: 'ndjson' });
    expect(res.statusCode).toBe(202);
    const requested = res.json<ExportBody>();
    expect(requested).toMatchObject({ status: 'pending', format: 'ndjson', download_url: null });
    expect(requested.filter).toEqual({ user_id: user.id });

    const done = await ready(requested.id);
    const listed = (
      await get(t, `/v1/admin/audit-events?user_id=${user.id}&limit=100`, admin.token)
    ).json<AuditPage>();
    expect(done).toMatchObject({ status: 'ready', rows: listed.items.length, error: null });
    expect(done.download_url).toMatch(
      /^\/v1\/admin\/audit-exports\/.+\/download\?expires=\d+&signature=/,
    );

    const file = await get(t, done.download_url!, admin.token);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/x-ndjson');
    expect(file.headers['content-disposition']).toContain(`audit-${done.id}.ndjson`);
    const lines = file.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditPage['items'][0]);
    expect(lines.map((l) => l.id)).toEqual(listed.items.map((i) => i.id).reverse());
    expect(lines.filter((l) => l.action === 'auth.login').every((l) => l.ip === ip)).toBe(true);

    const [{ whole }] = await db.query<{ whole: string }[]>(
      `SELECT string_agg(encode(data, 'escape'), '') AS whole FROM audit_export_chunks WHERE export_id = $1`,
      [done.id],
    );
    expect(whole).not.toContain(ip);
    expect(whole).not.toContain(user.id);
  });

  // A second session holds the relay's lock: the embedded database has one session.
  itOnServer(
    'holds a sign-in made just before it was asked for, once its event is published',
    async () => {
      const account = await createVerifiedAccount(t);
      await settled(t);
      const [{ id: userId }] = await db.query<{ id: string }[]>(
        'SELECT id FROM users WHERE email = $1',
        [account.email.toLowerCase()],
      );
      const holder = new Client({ connectionString: t.config.database.url });
      await holder.connect();
      let exportId: string;
      try {
        // No relay run can publish the sign-in meanwhile.
        await holder.query('BEGIN');
        await holder.query('SELECT pg_advisory_xact_lock($1)', [RELAY_LOCK_KEY]);
        await login(t, account.email, account.password, { ip: uniqueIp() });
        const res = await requestExport({ filter: { user_id: userId }, format: 'ndjson' });
        expect(res.statusCode).toBe(202);
        exportId = res.json<ExportBody>().id;
        // The export's job has started (and, built, would have finished) before the lock goes.
        for (;;) {
          const [{ started }] = await db.query<{ started: boolean }[]>(
            `SELECT EXISTS (SELECT 1 FROM pgboss.job WHERE name = $1 AND data->>'export_id' = $2
                             AND state IN ('active', 'completed')) AS started`,
            [EXPORT_QUEUE, exportId],
          );
          if (started) break;
          await sleep(20);
        }
        await sleep(500);
        await holder.query('COMMIT');
      } finally {
        await holder.end();
      }
      const done = await ready(exportId);
      const listed = (
        await get(t, `/v1/admin/audit-events?user_id=${userId}&limit=100`, admin.token)
      ).json<AuditPage>();
      expect(listed.items.map((i) => i.action)).toContain('auth.login');
      expect(done).toMatchObject({ status: 'ready', rows: listed.items.length });
      const file = await get(t, done.download_url!, admin.token);
      const lines = file.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as AuditPage['items'][0]);
      expect(lines.map((l) => l.id)).toEqual(listed.items.map((i) => i.id).reverse());
    },
  );

  it('writes CSV with a header and quoted fields', async () => {
    const res = await requestExport({
      filter: { user_id: user.id, action: 'auth.login' },
      format: 'csv',
    });
    const done = await ready(res.json<ExportBody>().id);
    const file = await get(t, done.download_url!, admin.token);
    expect(file.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = file.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'id,occurred_at,kind,action,outcome,reason,actor_type,actor_id,target_type,target_id,user_id,session_id,request_id,ip,user_agent,network,details,seq',
    );
    expect(lines).toHaveLength(1 + 5);
    expect(lines[1]).toContain(`,${ip},"Export, ""quoted""",`);
  });

  it('makes one export and one job of two identical requests at once', async () => {
    const body = { filter: { user_id: user.id, outcome: 'success' }, format: 'ndjson' };
    const [a, b] = await Promise.all([requestExport(body), requestExport(body)]);
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(a.json<ExportBody>().id).toBe(b.json<ExportBody>().id);
    const [{ jobs }] = await db.query<{ jobs: string }[]>(
      `SELECT count(*) AS jobs FROM pgboss.job WHERE name = 'audit.export' AND data->>'export_id' = $1`,
      [a.json<ExportBody>().id],
    );
    expect(Number(jobs)).toBe(1);
    await ready(a.json<ExportBody>().id);
  });

  it('shows an export only to the admin who asked for it', async () => {
    const res = await requestExport({ format: 'ndjson', filter: { action: 'auth.*' } });
    const done = await ready(res.json<ExportBody>().id);
    expectProblem(
      await get(t, `/v1/admin/audit-exports/${done.id}`, otherAdmin.token),
      404,
      'not_found',
    );
    expectProblem(await get(t, done.download_url!, otherAdmin.token), 404, 'not_found');
    expectProblem(
      await get(t, '/v1/admin/audit-exports/01900000-0000-7000-8000-000000000000', admin.token),
      404,
      'not_found',
    );
  });

  it('refuses a download link altered or expired', async () => {
    const res = await requestExport({ format: 'csv', filter: { outcome: 'failure' } });
    const done = await ready(res.json<ExportBody>().id);
    const url = new URL(done.download_url!, 'http://gatehouse');
    const expires = Number(url.searchParams.get('expires'));
    const signature = url.searchParams.get('signature')!;
    const path = `/v1/admin/audit-exports/${done.id}/download`;
    expectProblem(
      await get(t, `${path}?expires=${expires + 3600}&signature=${signature}`, admin.token),
      403,
      'invalid_download_link',
    );
    expectProblem(
      await get(
        t,
        `${path}?expires=${expires}&signature=${signature.slice(0, -3)}AAA`,
        admin.token,
      ),
      403,
      'invalid_download_link',
    );
    const actor: Actor = { type: 'user', id: admin.id, requestId: null, ip: null };
    const exports = t.app.get(AuditExports);
    const stale = await exports.downloadLink(
      actor,
      await exports.get(actor, done.id),
      new Date(Date.now() - 3600_000),
    );
    expectProblem(await get(t, stale.path, admin.token), 403, 'invalid_download_link');
    expectInvalidField(
      await get(t, `${path}?expires=soon&signature=${signature}`, admin.token),
      'expires',
    );
  });

  it('refuses bad filters (400) and bad bodies (422) without exporting anything', async () => {
    const [{ before }] = await db.query<{ before: string }[]>(
      'SELECT count(*) AS before FROM audit_exports',
    );
    const badFilter = await requestExport({ format: 'ndjson', filter: { ip: '10.0.0.0/2' } });
    const body = expectProblem(badFilter, 400, 'invalid_audit_filter');
    expect(body.errors).toEqual([{ field: 'ip', message: expect.stringContaining('too wide') }]);
    expectProblem(
      await requestExport({
        format: 'ndjson',
        filter: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      }),
      400,
      'invalid_audit_filter',
    );
    expectInvalidField(await requestExport({ format: 'xlsx' }), 'format');
    expectInvalidField(
      await requestExport({ format: 'csv', filter: { colour: 'red' } }),
      'filter.colour',
    );
    expectInvalidField(
      await requestExport({ format: 'csv', filter: { user_id: 42 } }),
      'filter.user_id',
    );
    expectInvalidField(await requestExport({ format: 'csv', extra: true }), 'extra');
    const [{ after }] = await db.query<{ after: string }[]>(
      'SELECT count(*) AS after FROM audit_exports',
    );
    expect(after).toBe(before);
  });

  it('needs a token and the audit:export permission', async () => {
    expectProblem(
      await requestExport({ format: 'csv' }, null as unknown as string),
      401,
      'unauthorized',
    );
    const plain = await signedInUser(t);
    expectProblem(await requestExport({ format: 'csv' }, plain.token), 403, 'forbidden');
    expectProblem(
      await get(t, '/v1/admin/audit-exports/01900000-0000-7000-8000-000000000000', plain.token),
      403,
      'forbidden',
    );
  });
});
