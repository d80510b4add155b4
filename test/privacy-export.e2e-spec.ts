import { strFromU8, unzipSync } from 'fflate';
import { DataSource } from 'typeorm';
import { PersonalDataExports } from '../src/modules/privacy/personal-data-exports.service';
import { lastMailTo, mailsTo, post, settled, TokenPairBody } from './support/accounts';
import { send, SignedInUser, signedInAdmin, signedInUser } from './support/access';
import { expectInvalidField, expectProblem } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';

interface ExportBody {
  id: string;
  user_id: string;
  status: 'pending' | 'ready' | 'failed';
  requested_by_type: string;
  created_at: string;
  completed_at: string | null;
  size_bytes: number | null;
  error: string | null;
  download_url: string | null;
  download_expires_at: string | null;
}

const UNKNOWN_ID = '01890a5d-ac96-774b-bcce-b302099a8057';

describe('personal data exports (GDPR Art. 15 and 20)', () => {
  let t: TestApp;
  let admin: SignedInUser;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
    admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  const requestOwn = (user: SignedInUser) => send(t, 'POST', '/v1/users/me/export', user.token);

  /** The export once its job ran, read again through the route that shows it to `reader`. */
  const ready = async (path: string, token: string): Promise<ExportBody> => {
    await settled(t);
    const res = await send(t, 'GET', path, token);
    expect(res.statusCode).toBe(200);
    const body = res.json<ExportBody>();
    expect(body.status).toBe('ready');
    return body;
  };

  const download = async (url: string, token: string) => {
    const res = await send(t, 'GET', url, token);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="gatehouse-data-/);
    return unzipSync(new Uint8Array(res.rawPayload));
  };

  const jobsFor = async (exportId: string) =>
    Number(
      (
        await dataSource.query<{ count: string }[]>(
          `SELECT count(*) FROM pgboss.job WHERE name = 'privacy.export' AND data->>'export_id' = $1`,
          [exportId],
        )
      )[0].count,
    );

  it('builds a ZIP of JSON files with a README, holding what each module has about the person and no secret', async () => {
    const user = await signedInUser(t);
    const patched = await send(t, 'PATCH', '/v1/users/me', user.token, {
      name: 'Export Person',
      phone: '+447911123456',
    });
    expect(patched.statusCode).toBe(200);
    await post(t, '/v1/auth/login', { email: user.email, password: 'wrong password!!' });

    const requested = await requestOwn(user);
    expect(requested.statusCode).toBe(202);
    expect(requested.headers['cache-control']).toBe('no-store');
    const pending = requested.json<ExportBody>();
    expect(pending).toMatchObject({
      user_id: user.id,
      status: 'pending',
      requested_by_type: 'user',
      download_url: null,
    });

    const body = await ready(`/v1/users/me/exports/${pending.id}`, user.token);
    expect(body.size_bytes).toBeGreaterThan(0);
    expect(body.download_url).toMatch(
      new RegExp(`^/v1/users/me/exports/${pending.id}/download\\?expires=\\d+&signature=`),
    );
    const expiresIn = Date.parse(body.download_expires_at!) - Date.parse(body.completed_at!);
    expect(expiresIn).toBe(24 * 60 * 60 * 1000);

    const files = await download(body.download_url!, user.token);
    expect(Object.keys(files)).toEqual([
      'README.md',
      'export.json',
      'audit-actions.json',
      'audit-events.json',
      'hr-onboarding.json',
      'linked-identities.json',
      'offline-tokens.json',
      'preferences.json',
      'profile.json',
      'provisioned-profile.json',
      'roles.json',
      'second-factors.json',
      'sessions.json',
      'trading-accounts.json',
    ]);
    const json = (name: string) => JSON.parse(strFromU8(files[name])) as unknown;
    const readme = strFromU8(files['README.md']);
    for (const name of Object.keys(files).filter((f) => f !== 'README.md')) {
      expect(readme).toContain(`\`${name}\``);
    }
    expect(json('export.json')).toMatchObject({
      format_version: 1,
      export_id: pending.id,
      user_id: user.id,
    });
    expect(json('profile.json')).toMatchObject({
      id: user.id,
      email: user.email,
      name: 'Export Person',
      phone: '+447911123456',
      deletion_due_at: null,
    });
    const sessions = json('sessions.json') as { id: string; ip: string; device: string }[];
    expect(sessions.map((s) => s.id)).toContain(user.tokens.session_id);
    const activity = json('audit-events.json') as { action: string; outcome: string }[];
    expect(activity).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'auth.login', outcome: 'success' }),
        expect.objectContaining({ action: 'auth.login', outcome: 'failure' }),
      ]),
    );
    expect(json('second-factors.json')).toEqual({ authenticator_app: null, backup_codes: [] });
    expect(json('roles.json')).toEqual([]);
    expect(json('linked-identities.json')).toEqual([]);
    expect(json('trading-accounts.json')).toMatchObject({ owned: [] });
    expect(json('offline-tokens.json')).toEqual([]);
    expect(json('hr-onboarding.json')).toEqual([]);

    const everything = Object.values(files)
      .map((bytes) => strFromU8(bytes))
      .join('\n');
    const [{ password_hash: hash }] = await dataSource.query<{ password_hash: string }[]>(
      'SELECT password_hash FROM users WHERE id = $1',
      [user.id],
    );
    expect(everything).not.toContain(hash);
    expect(everything).not.toContain('$argon2');
    expect(everything).not.toContain(user.tokens.refresh_token);
    expect(everything).not.toContain(user.token);

    const mail = await lastMailTo(t, user.email);
    expect(mail.subject).toBe('Your data export is ready');
    expect(mail.text).not.toContain('signature=');
  });

  it('answers the same export when asked again within a day, or twice at once: one job', async () => {
    const user = await signedInUser(t);
    const [a, b] = await Promise.all([requestOwn(user), requestOwn(user)]);
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    const id = a.json<ExportBody>().id;
    expect(b.json<ExportBody>().id).toBe(id);
    await settled(t);
    const again = await requestOwn(user);
    expect(again.json<ExportBody>()).toMatchObject({ id, status: 'ready' });
    expect(await jobsFor(id)).toBe(1);
    expect((await mailsTo(t, user.email)).filter((m) => m.subject.includes('export'))).toHaveLength(
      1,
    );
  });

  it('lets a new export be asked for once the last one is a day old', async () => {
    const user = await signedInUser(t);
    const first = (await requestOwn(user)).json<ExportBody>();
    await settled(t);
    await dataSource.query(
      `UPDATE personal_data_exports SET created_at = now() - interval '25 hours' WHERE id = $1`,
      [first.id],
    );
    const second = (await requestOwn(user)).json<ExportBody>();
    expect(second.id).not.toBe(first.id);
    expect(second.status).toBe('pending');
  });

  it('needs a recent authentication, and a user token', async () => {
    const user = await signedInUser(t);
    await dataSource.query(
      `UPDATE sessions SET auth_time = now() - interval '11 minutes' WHERE id = $1`,
      [user.tokens.session_id],
    );
    const refreshed = (
      await post(t, '/v1/auth/refresh', { refresh_token: user.tokens.refresh_token })
    ).json<TokenPairBody>();
    const stale = await send(t, 'POST', '/v1/users/me/export', refreshed.access_token);
    expectProblem(stale, 401, 'insufficient_user_authentication');
    expect(stale.headers['www-authenticate']).toContain('max_age="600"');
    expectProblem(await send(t, 'POST', '/v1/users/me/export', null), 401, 'unauthorized');
    const [{ count }] = await dataSource.query<{ count: string }[]>(
      'SELECT count(*) FROM personal_data_exports WHERE user_id = $1',
      [user.id],
    );
    expect(count).toBe('0');
  });

  it('shows an export to its person only: another user’s is not found', async () => {
    const owner = await signedInUser(t);
    const other = await signedInUser(t);
    const exported = (await requestOwn(owner)).json<ExportBody>();
    const body = await ready(`/v1/users/me/exports/${exported.id}`, owner.token);
    expectProblem(
      await send(t, 'GET', `/v1/users/me/exports/${exported.id}`, other.token),
      404,
      'not_found',
    );
    expectProblem(await send(t, 'GET', body.download_url!, other.token), 404, 'not_found');
    expectProblem(
      await send(t, 'GET', `/v1/users/me/exports/${UNKNOWN_ID}`, owner.token),
      404,
      'not_found',
    );
    expectInvalidField(await send(t, 'GET', '/v1/users/me/exports/not-a-uuid', owner.token), 'id');
  });

  it('refuses a link altered, made for another reader, malformed or expired', async () => {
    const user = await signedInUser(t);
    const exported = (await requestOwn(user)).json<ExportBody>();
    const body = await ready(`/v1/users/me/exports/${exported.id}`, user.token);
    const url = new URL(body.download_url!, 'http://gatehouse');
    const signature = url.searchParams.get('signature')!;
    const expires = Number(url.searchParams.get('expires'));
    const path = `/v1/users/me/exports/${exported.id}/download`;

    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    expectProblem(
      await send(t, 'GET', `${path}?expires=${expires}&signature=${flipped}`, user.token),
      403,
      'invalid_download_link',
    );
    expectProblem(
      await send(t, 'GET', `${path}?expires=${expires + 3600}&signature=${signature}`, user.token),
      403,
      'invalid_download_link',
    );
    // The person's link does not work on the administrators' route, nor theirs on the person's.
    expectProblem(
      await send(
        t,
        'GET',
        `/v1/admin/users/${user.id}/exports/${exported.id}/download?expires=${expires}&signature=${signature}`,
        admin.token,
      ),
      403,
      'invalid_download_link',
    );
    expectInvalidField(
      await send(t, 'GET', `${path}?expires=soon&signature=${signature}`, user.token),
      'expires',
    );
    expectInvalidField(await send(t, 'GET', `${path}?expires=${expires}`, user.token), 'signature');

    const afterExpiry = new Date((expires + 1) * 1000);
    await expect(
      t.app
        .get(PersonalDataExports)
        .download(
          user.id,
          { type: 'user', id: user.id },
          exported.id,
          expires,
          signature,
          afterExpiry,
        ),
    ).rejects.toMatchObject({ code: 'invalid_download_link' });
  });

  describe('for administrators (/v1/admin/users/{id}/export)', () => {
    it('builds the export for the person, who is mailed and can read it too', async () => {
      const user = await signedInUser(t);
      const requested = await send(t, 'POST', `/v1/admin/users/${user.id}/export`, admin.token);
      expect(requested.statusCode).toBe(202);
      const exported = requested.json<ExportBody>();
      expect(exported).toMatchObject({ user_id: user.id, requested_by_type: 'user' });
      const body = await ready(`/v1/admin/users/${user.id}/exports/${exported.id}`, admin.token);
      expect(body.download_url).toMatch(
        new RegExp(`^/v1/admin/users/${user.id}/exports/${exported.id}/download\\?`),
      );
      const files = await download(body.download_url!, admin.token);
      expect(JSON.parse(strFromU8(files['profile.json']))).toMatchObject({ email: user.email });
      expect((await lastMailTo(t, user.email)).subject).toBe('Your data export is ready');

      const own = await ready(`/v1/users/me/exports/${exported.id}`, user.token);
      expect(own.download_url).toMatch(/^\/v1\/users\/me\/exports\//);
      await download(own.download_url!, user.token);

      // The administrator's request is in the audit log, with them as its actor.
      const audit = await send(
        t,
        'GET',
        `/v1/admin/audit-events?user_id=${user.id}&action=user.data_export`,
        admin.token,
      );
      expect(audit.json<{ items: { actor: { id: string } }[] }>().items).toEqual([
        expect.objectContaining({ actor: expect.objectContaining({ id: admin.id }) }),
      ]);
    });

    it('needs users:export, and names no unknown user', async () => {
      const user = await signedInUser(t);
      const other = await signedInUser(t);
      expectProblem(
        await send(t, 'POST', `/v1/admin/users/${other.id}/export`, user.token),
        403,
        'forbidden',
      );
      expectProblem(
        await send(t, 'POST', `/v1/admin/users/${UNKNOWN_ID}/export`, admin.token),
        404,
        'not_found',
      );
      expectInvalidField(
        await send(t, 'POST', '/v1/admin/users/not-a-uuid/export', admin.token),
        'id',
      );
      expectProblem(
        await send(t, 'GET', `/v1/admin/users/${other.id}/exports/${UNKNOWN_ID}`, admin.token),
        404,
        'not_found',
      );
    });
  });
});
