import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EnvelopeCipher } from '../src/common/crypto/envelope-cipher';
import { MAIL_QUEUE, SEALED_MAIL_CONTEXT } from '../src/modules/mail/mail.service';
import { SEALED_COLUMNS } from '../src/modules/master-keys/sealed-columns';
import { TradingAccountVault } from '../src/modules/trading-accounts/trading-account-vault';
import { signedInAdmin } from './support/access';
import { get, settled } from './support/accounts';
import { codeAt, enrolledUser, EnrolledUser, loginWithSecondFactor } from './support/mfa';
import { exitOf, freePort, runService } from './support/service-process';
import { migratedDatabase } from './support/test-database';
import { startTestApp, TEST_MASTER_KEY } from './support/test-app';

const CLI = join(__dirname, '..', 'dist', 'src', 'cli.js');
const OLD_KEY = TEST_MASTER_KEY;
const NEW_KEY = Buffer.alloc(32, 11).toString('base64');
const STRANGER_KEY = Buffer.alloc(32, 13).toString('base64');
const cipherOf = (key: string) => new EnvelopeCipher(Buffer.from(key, 'base64'));
const OLD_ID = cipherOf(OLD_KEY).keyId;
const NEW_ID = cipherOf(NEW_KEY).keyId;
const RING = { MASTER_KEY: '', MASTER_KEYS: `${NEW_KEY},${OLD_KEY}` };
const BULK = 1500;

interface Cli {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function rewrap(url: string, env: Record<string, string>, args: string[] = []): Cli {
  const child = spawn(process.execPath, [CLI, 'keys:rewrap', ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, exit: exitOf(child) };
}

describe('master-key rotation: the key ring, keys:rewrap and the boot check', () => {
  let db: { url: string; drop: () => Promise<void> };
  let sql: Client;
  let user: EnrolledUser;
  let accountId: string;
  /** The request of an unknown account's failed sign-in: its audit row belongs to nobody. */
  let strangerRequestId: string;

  /** Envelopes per column and master key, as the database holds them. */
  async function keysInUse(): Promise<Record<string, Record<string, number>>> {
    const found: Record<string, Record<string, number>> = {};
    for (const column of SEALED_COLUMNS) {
      const { rows } = await sql.query<{ key_id: string; count: string }>(
        `SELECT split_part(${column.envelope}, '.', 2) AS key_id, count(*) AS count
           FROM ${column.table}
          WHERE ${column.envelope} LIKE 'v1.%'${column.where ? ` AND ${column.where}` : ''}
          GROUP BY 1`,
      );
      for (const row of rows) {
        found[column.name] = { ...found[column.name], [row.key_id]: Number(row.count) };
      }
    }
    return found;
  }

  beforeAll(async () => {
    db = await migratedDatabase();
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    // A deployment that ran under the old key: signing keys, a TOTP seed, audit keys, a
    // broker credential with its own app, and many secrets, all sealed under it.
    const t = await startTestApp({ databaseUrl: db.url });
    try {
      user = await enrolledUser(t);
      const { rows } = await sql.query<{ id: string }>(
        `INSERT INTO trading_accounts (owner_id, broker, broker_user_id, app, display_name, status,
           profile, token_expires_at, linked_at, synced_at)
         VALUES ($1, 'zerodha', 'AB1234', 'own', 'Rotation', 'active', '{}', now() + interval '1 day',
           now(), now()) RETURNING id`,
        [user.id],
      );
      accountId = rows[0].id;
      await t.app.get(TradingAccountVault).store(accountId, {
        accessToken: 'access-token-under-old-key',
        publicToken: 'public-token-under-old-key',
        ownApp: { apiKey: 'own-api-key', apiSecret: 'own-api-secret' },
      });
      const stranger = await t.inject({
        method: 'POST',
        url: '/v1/auth/login',
        headers: { 'content-type': 'application/json', 'user-agent': 'Rotation Probe/1.0' },
        payload: { email: 'nobody-here@example.com', password: 'not anyone’s password at all' },
      });
      expect(stranger.statusCode).toBe(401);
      strangerRequestId = String(stranger.headers['x-request-id']);
      const old = cipherOf(OLD_KEY);
      const ids = Array.from({ length: BULK }, (_, i) => `bulk-${String(i).padStart(5, '0')}`);
      await sql.query(
        'INSERT INTO audit_secrets (name, sealed_key) SELECT * FROM unnest($1::text[], $2::text[])',
        [ids, ids.map((id) => old.encrypt(randomBytes(32), `audit_secrets:${id}`))],
      );
      await settled(t);
      // A mail still queued (due tomorrow): its job holds the message sealed.
      await sql.query(
        `INSERT INTO pgboss.job (name, data, start_after)
         VALUES ($1, $2, now() + interval '1 day')`,
        [MAIL_QUEUE, { sealed: old.encrypt(Buffer.from('{"queued":true}'), SEALED_MAIL_CONTEXT) }],
      );
    } finally {
      await t.close();
    }
  });

  afterAll(async () => {
    await sql?.end();
    await db?.drop();
  });

  it('lists every entity column that holds envelopes in SEALED_COLUMNS, by its primary key', async () => {
    const t = await startTestApp({ databaseUrl: db.url });
    try {
      const entities = t.app.get(DataSource).entityMetadatas;
      const sealed = entities.flatMap((entity) =>
        entity.columns
          .filter((c) => /sealed|envelope|personal/.test(c.databaseName))
          .map((c) => `${entity.tableName}.${c.databaseName}`),
      );
      const ours = SEALED_COLUMNS.filter((c) => !c.table.startsWith('pgboss.'));
      expect(ours.map((c) => c.name).sort()).toEqual(sealed.sort());
      for (const column of ours) {
        const entity = entities.find((e) => e.tableName === column.table)!;
        expect([column.name, column.id.map((k) => k.column)]).toEqual([
          column.name,
          entity.primaryColumns.map((c) => c.databaseName),
        ]);
      }
    } finally {
      await t.close();
    }
  });

  it('refuses to start with only the new key, naming the old key and where its envelopes are', async () => {
    await expect(
      startTestApp({ databaseUrl: db.url, env: { MASTER_KEY: NEW_KEY } }),
    ).rejects.toThrow(
      new RegExp(
        `MASTER_KEYS: the database holds envelopes sealed under master key ${OLD_ID} \\(.*signing_keys\\.private_key_sealed: \\d+.*mfa_totp_factors\\.secret_sealed: 1.*trading_account_credentials\\.envelope: 4`,
      ),
    );
    const port = await freePort();
    const child = runService({ DATABASE_URL: db.url, MASTER_KEY: NEW_KEY, PORT: String(port) });
    expect(await exitOf(child)).toBe(1);
    expect(child.output()).toContain(`sealed under master key ${OLD_ID}`);
    expect(child.output()).not.toContain(NEW_KEY);
  });

  it('with the ring (new key first) opens what the old key sealed and seals under the new key', async () => {
    const t = await startTestApp({ databaseUrl: db.url, env: RING });
    try {
      const signedIn = await loginWithSecondFactor(t, user, { code: codeAt(user.secret) });
      expect(signedIn.token_type).toBe('Bearer');
      const session = await t.app.get(TradingAccountVault).session(accountId, 'own');
      expect(session).toEqual({
        app: { apiKey: 'own-api-key', apiSecret: 'own-api-secret' },
        accessToken: 'access-token-under-old-key',
      });
      await t.app.get(TradingAccountVault).store(accountId, {
        accessToken: 'access-token-under-new-key',
        publicToken: 'public-token-under-new-key',
        ownApp: { apiKey: 'own-api-key', apiSecret: 'own-api-secret' },
      });
      const { rows } = await sql.query<{ field: string; key_id: string; under: string }>(
        `SELECT field, key_id, split_part(envelope, '.', 2) AS under
           FROM trading_account_credentials WHERE account_id = $1 ORDER BY field`,
        [accountId],
      );
      expect(rows).toEqual(
        ['access_token', 'api_key', 'api_secret', 'public_token'].map((field) => ({
          field,
          key_id: NEW_ID,
          under: NEW_ID,
        })),
      );
      await settled(t);
    } finally {
      await t.close();
    }
    await sql.query(
      `UPDATE trading_account_credentials SET envelope = $2, key_id = $3
        WHERE account_id = $1 AND field = 'access_token'`,
      [
        accountId,
        cipherOf(OLD_KEY).encrypt(
          Buffer.from('access-token-under-old-key'),
          `trading_accounts:${accountId}:access_token`,
        ),
        OLD_ID,
      ],
    );
  });

  it('keys:rewrap without the old key opens nothing, changes nothing and says what is left', async () => {
    const before = await keysInUse();
    const run = rewrap(db.url, { MASTER_KEY: STRANGER_KEY }, ['--batch-size', '200']);
    expect(await run.exit).toBe(1);
    // The bulk, and the audit log's own two: its index key and the key of fields of nobody.
    const auditSecrets = BULK + 2;
    expect(run.output()).toContain(
      `audit_secrets.sealed_key: 0 rewrapped, ${auditSecrets} did not open`,
    );
    expect(run.output()).toMatch(
      new RegExp(
        `Left: audit_secrets.sealed_key: ${auditSecrets} under master key ${OLD_ID} \\(its key is not in MASTER_KEYS\\)`,
      ),
    );
    expect(await keysInUse()).toEqual(before);
  });

  it('keys:rewrap killed midway keeps its batches, and run again finishes, then changes nothing', async () => {
    const first = rewrap(db.url, RING, ['--batch-size', '10']);
    await new Promise<void>((resolve) => {
      const watch = () => {
        if (/audit_secrets\.sealed_key: \d+ rewrapped so far/.test(first.output())) {
          first.child.kill('SIGKILL');
          resolve();
        }
      };
      first.child.stdout!.on('data', watch);
    });
    await first.exit;
    const midway = (await keysInUse())['audit_secrets.sealed_key'];
    expect(midway[NEW_ID]).toBeGreaterThan(0);
    expect(midway[OLD_ID]).toBeGreaterThan(0);

    const second = rewrap(db.url, RING, ['--batch-size', '100']);
    expect(await second.exit).toBe(0);
    expect(second.output()).toContain(`audit_secrets.sealed_key: ${midway[OLD_ID]} rewrapped`);
    expect(second.output()).toContain('Nothing is left under a previous master key');
    for (const [column, keys] of Object.entries(await keysInUse())) {
      expect([column, Object.keys(keys)]).toEqual([column, [NEW_ID]]);
    }
    const { rows } = await sql.query<{ key_id: string }>(
      'SELECT DISTINCT key_id FROM trading_account_credentials',
    );
    expect(rows).toEqual([{ key_id: NEW_ID }]);
    const fresh = cipherOf(NEW_KEY);
    const { rows: bulk } = await sql.query<{ id: string; sealed_key: string }>(
      `SELECT name AS id, sealed_key FROM audit_secrets WHERE name LIKE 'bulk-%'`,
    );
    expect(bulk).toHaveLength(BULK);
    for (const row of bulk) {
      expect(fresh.decrypt(row.sealed_key, `audit_secrets:${row.id}`)).toHaveLength(32);
    }

    const { rows: jobs } = await sql.query<{ sealed: string }>(
      `SELECT data->>'sealed' AS sealed FROM pgboss.job WHERE name = $1 AND state = 'created'`,
      [MAIL_QUEUE],
    );
    expect(jobs).toHaveLength(1);
    expect(fresh.decrypt(jobs[0].sealed, SEALED_MAIL_CONTEXT).toString()).toBe('{"queued":true}');

    const third = rewrap(db.url, RING);
    expect(await third.exit).toBe(0);
    expect(third.output()).toContain('Rewrapped 0 envelope(s).');
  });

  it('after the rewrap the new key alone starts, signs in with the second factor and opens the broker session', async () => {
    const t = await startTestApp({ databaseUrl: db.url, env: { MASTER_KEY: NEW_KEY } });
    try {
      const signedIn = await loginWithSecondFactor(t, user, { code: codeAt(user.secret, 1) });
      expect(signedIn.token_type).toBe('Bearer');
      expect(await t.app.get(TradingAccountVault).session(accountId, 'own')).toEqual({
        app: { apiKey: 'own-api-key', apiSecret: 'own-api-secret' },
        accessToken: 'access-token-under-old-key',
      });
      const jwks = await t.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      expect(jwks.statusCode).toBe(200);
      // The audit log's fields that belong to no user open without the old key too.
      const admin = await signedInAdmin(t);
      const audit = await get(
        t,
        `/v1/admin/audit-events?request_id=${strangerRequestId}`,
        admin.token,
      );
      expect(audit.statusCode).toBe(200);
      expect(audit.json<{ items: unknown[] }>().items).toEqual([
        expect.objectContaining({
          action: 'auth.login',
          outcome: 'failure',
          actor: { type: 'anonymous', id: null },
          user_id: null,
          user_agent: 'Rotation Probe/1.0',
        }),
      ]);
      await settled(t);
    } finally {
      await t.close();
    }
  });
});
