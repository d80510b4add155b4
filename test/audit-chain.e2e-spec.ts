import { spawn } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AuditChain } from '../src/modules/audit/audit-chain';
import { AuditChainVerifier } from '../src/modules/audit/audit-chain-verifier';
import { AuthEventRepository } from '../src/modules/audit/auth-event.repository';
import { Transactions } from '../src/database/transactions';
import { SigningKeyService } from '../src/modules/auth/signing-key.service';
import {
  CHAINED_CONTENT_COLUMNS,
  chainHash,
  ChainedContent,
} from '../src/modules/audit/audit-chain-hash';
import { AuditCheckpoints } from '../src/modules/audit/audit-checkpoints';
import { createVerifiedAccount, get, login, settled, uniqueIp } from './support/accounts';
import { send, signedInAdmin, signedInUser, SignedInUser, uniqueName } from './support/access';
import { expectProblem } from './support/assertions';
import { startTestApp, TEST_MASTER_KEY, TestApp } from './support/test-app';

interface ReportBody {
  valid: boolean;
  rows_checked: number;
  unsealed_rows: number;
  head_seq: number | null;
  checkpoints_checked: number;
  latest_checkpoint: { seq: number; signed_at: string; kid: string; key: string } | null;
  finding: { kind: string; seq: number | null; row_id: string | null; detail: string } | null;
}

const CLI = join(__dirname, '..', 'dist', 'src', 'cli.js');

describe('the audit hash chain', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: SignedInUser;

  const verifyChain = async (): Promise<ReportBody> => {
    const res = await send(t, 'POST', '/v1/admin/audit-events/verify', admin.token);
    expect(res.statusCode).toBe(200);
    return res.json<ReportBody>();
  };

  const rowAt = async (seq: number) => {
    const [row] = await db.query<{ id: string; hash: Buffer; prev_hash: Buffer }[]>(
      'SELECT id, hash, prev_hash FROM audit_events WHERE seq = $1',
      [seq],
    );
    return row;
  };

  const contentOf = async (id: string): Promise<ChainedContent> => {
    const [row] = await db.query<ChainedContent[]>(
      `SELECT ${CHAINED_CONTENT_COLUMNS} FROM audit_events e WHERE e.id = $1`,
      [id],
    );
    return row;
  };

  /** Runs `tamper` on the log, then puts every row and checkpoint back as they were. */
  async function whileTampered(tamper: () => Promise<void>, check: () => Promise<void>) {
    await db.query('CREATE TABLE audit_rows_kept AS SELECT * FROM audit_events');
    await db.query('CREATE TABLE audit_checkpoints_kept AS SELECT * FROM audit_checkpoints');
    try {
      await tamper();
      await check();
    } finally {
      await db.query('DELETE FROM audit_events');
      await db.query('INSERT INTO audit_events SELECT * FROM audit_rows_kept');
      await db.query('DELETE FROM audit_checkpoints');
      await db.query('INSERT INTO audit_checkpoints SELECT * FROM audit_checkpoints_kept');
      await db.query('DROP TABLE audit_rows_kept, audit_checkpoints_kept');
    }
  }

  /** Moves rows from `seq` on one position up (`by` 1) or down (-1), as an attacker renumbers. */
  async function shiftFrom(seq: number, by: 1 | -1) {
    await db.query('UPDATE audit_events SET seq = -seq WHERE seq >= $1', [seq]);
    await db.query('UPDATE audit_events SET seq = -seq + $1 WHERE seq < 0', [by]);
  }

  async function cli(args: string[]) {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: t.config.database.url!,
        MASTER_KEY: TEST_MASTER_KEY,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    admin = await signedInAdmin(t);
    const account = await createVerifiedAccount(t);
    await Promise.all([
      ...Array.from({ length: 4 }, () => login(t, account.email, account.password)),
      ...Array.from({ length: 4 }, () =>
        send(t, 'POST', '/v1/roles', admin.token, { name: uniqueName('chained') }),
      ),
    ]);
    await settled(t);
    await t.app.get(AuditChain).sealPending();
  });
  afterAll(() => t.close());

  it('seals every committed row once, at consecutive positions, whoever wrote it', async () => {
    const [stats] = await db.query<{ rows: string; sealed: string; low: string; high: string }[]>(
      'SELECT count(*) AS rows, count(seq) AS sealed, min(seq) AS low, max(seq) AS high FROM audit_events',
    );
    expect(Number(stats.rows)).toBeGreaterThan(10);
    expect(stats.sealed).toBe(stats.rows);
    expect(Number(stats.low)).toBe(1);
    expect(stats.high).toBe(stats.rows);
    const [{ kinds }] = await db.query<{ kinds: string[] }[]>(
      'SELECT array_agg(DISTINCT kind ORDER BY kind) AS kinds FROM audit_events',
    );
    expect(kinds).toEqual(['administrative', 'authentication']);
    const report = await verifyChain();
    expect(report).toMatchObject({ valid: true, finding: null, unsealed_rows: 0 });
    expect(report.rows_checked).toBe(Number(stats.rows));
  });

  it('serializes sealing runs that overlap: every row once, no position twice', async () => {
    const chain = t.app.get(AuditChain);
    const account = await createVerifiedAccount(t);
    const sealed = await Promise.all([
      chain.sealPending(),
      login(t, account.email, account.password),
      chain.sealPending(),
      send(t, 'POST', '/v1/roles', admin.token, { name: uniqueName('overlap') }),
      chain.sealPending(),
    ]);
    await settled(t);
    await chain.sealPending();
    expect(sealed.filter((n) => typeof n === 'number').length).toBe(3);
    const [stats] = await db.query<
      { rows: string; sealed: string; high: string; distinct: string }[]
    >(
      `SELECT count(*) AS rows, count(seq) AS sealed, max(seq) AS high,
              count(DISTINCT seq) AS distinct FROM audit_events`,
    );
    expect(stats.sealed).toBe(stats.rows);
    expect(stats.high).toBe(stats.rows);
    expect(stats.distinct).toBe(stats.rows);
    expect(await verifyChain()).toMatchObject({ valid: true, finding: null });
  });

  it('signs a checkpoint of the head with the current signing key, once per new head', async () => {
    const checkpoints = t.app.get(AuditCheckpoints);
    const seq = await checkpoints.checkpoint();
    expect(seq).toEqual(expect.any(Number));
    expect(await checkpoints.checkpoint()).toBeNull();

    const [row] = await db.query<{ jws: string; kid: string }[]>(
      'SELECT jws, kid FROM audit_checkpoints WHERE seq = $1',
      [seq],
    );
    const jwks = (await get(t, '/.well-known/jwks.json')).json<{
      keys: Record<string, string>[];
    }>();
    const jwk = jwks.keys.find((key) => key.kid === row.kid)!;
    const [header, payload, signature] = row.jws.split('.');
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    expect(valid).toBe(true);
    const statement = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(statement).toMatchObject({
      seq,
      head: (await rowAt(seq!)).hash.toString('hex'),
      previous: null,
    });

    const report = await verifyChain();
    expect(report.finding).toBeNull();
    expect(report).toMatchObject({
      valid: true,
      checkpoints_checked: 1,
      latest_checkpoint: { seq, kid: row.kid, key: 'published' },
    });
  });

  describe('names the first row tampered with by SQL', () => {
    let insertedId = '';

    it('a row changed', async () => {
      const target = await rowAt(5);
      await whileTampered(
        () => db.query(`UPDATE audit_events SET details = '{"forged": true}' WHERE seq = 5`).then(),
        async () => {
          const report = await verifyChain();
          expect(report).toMatchObject({
            valid: false,
            finding: { kind: 'changed', seq: 5, row_id: target.id },
          });
        },
      );
    });

    it('a row changed and its hash recomputed', async () => {
      const target = await rowAt(4);
      await whileTampered(
        async () => {
          await db.query(`UPDATE audit_events SET action = 'role.forged' WHERE seq = 4`);
          const hash = chainHash(target.prev_hash, 4, await contentOf(target.id));
          await db.query('UPDATE audit_events SET hash = $1 WHERE seq = 4', [hash]);
        },
        async () => {
          expect((await verifyChain()).finding).toMatchObject({
            kind: 'changed',
            seq: 4,
            row_id: target.id,
          });
        },
      );
    });

    it('a row deleted', async () => {
      await whileTampered(
        () => db.query('DELETE FROM audit_events WHERE seq = 6').then(),
        async () => {
          expect((await verifyChain()).finding).toMatchObject({ kind: 'deleted', seq: 6 });
        },
      );
    });

    it('a row deleted and the rows after it renumbered', async () => {
      await whileTampered(
        async () => {
          await db.query('DELETE FROM audit_events WHERE seq = 6');
          await shiftFrom(7, -1);
        },
        async () => {
          expect((await verifyChain()).finding).toMatchObject({ kind: 'deleted', seq: 6 });
        },
      );
    });

    it.each([
      ['with a hash that chains', true],
      ['with a made-up hash', false],
    ])('a row inserted %s', async (_case, chained) => {
      const before = await rowAt(4);
      const model = await rowAt(2);
      await whileTampered(
        async () => {
          await shiftFrom(5, 1);
          const [{ id }] = await db.query<{ id: string }[]>(
            `INSERT INTO audit_events (kind, actor_type, actor_id, action, action_family, target_type,
               target_id, details, seq, prev_hash, hash)
             SELECT kind, actor_type, actor_id, 'role.delete', 'role', target_type, target_id,
               '{}', 5, $2, $2 FROM audit_events WHERE id = $1 RETURNING id`,
            [model.id, before.hash],
          );
          const hash = chained
            ? chainHash(before.hash, 5, await contentOf(id))
            : Buffer.alloc(32, 1);
          await db.query('UPDATE audit_events SET hash = $1 WHERE id = $2', [hash, id]);
          insertedId = id;
        },
        async () => {
          expect((await verifyChain()).finding).toMatchObject({
            kind: 'inserted',
            seq: 5,
            row_id: insertedId,
          });
        },
      );
    });
    it('two rows swapped', async () => {
      const fifth = await rowAt(5);
      await whileTampered(
        async () => {
          await db.query('UPDATE audit_events SET seq = -5 WHERE seq = 5');
          await db.query('UPDATE audit_events SET seq = 5 WHERE seq = 6');
          await db.query('UPDATE audit_events SET seq = 6 WHERE seq = -5');
        },
        async () => {
          const report = await verifyChain();
          expect(report.finding).toMatchObject({ kind: 'reordered', seq: 5 });
          expect(report.finding!.row_id).not.toBe(fifth.id);
        },
      );
    });

    it('rows rewritten with a consistent chain, against the signed checkpoint', async () => {
      const head = (await verifyChain()).latest_checkpoint!.seq;
      await whileTampered(
        async () => {
          await db.query(`UPDATE audit_events SET action = 'role.forged' WHERE seq = 3`);
          let prev = (await rowAt(2)).hash;
          for (let seq = 3; seq <= head; seq++) {
            const row = await rowAt(seq);
            const hash = chainHash(prev, seq, await contentOf(row.id));
            await db.query('UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE seq = $3', [
              prev,
              hash,
              seq,
            ]);
            prev = hash;
          }
        },
        async () => {
          const report = await verifyChain();
          expect(report.finding).toMatchObject({ kind: 'rewritten', seq: 1 });
          expect(report.finding!.detail).toContain(`to ${head}`);
        },
      );
    });

    it('the signed head deleted', async () => {
      const head = (await verifyChain()).latest_checkpoint!.seq;
      await whileTampered(
        () => db.query('DELETE FROM audit_events WHERE seq >= $1', [head]).then(),
        async () => {
          expect((await verifyChain()).finding).toMatchObject({ kind: 'deleted', seq: head });
        },
      );
    });

    it('a checkpoint altered', async () => {
      await whileTampered(
        () => db.query(`UPDATE audit_checkpoints SET head_hash = '\\x00'`).then(),
        async () => {
          expect((await verifyChain()).finding).toMatchObject({ kind: 'checkpoint_invalid' });
        },
      );
    });
  });

  describe('npm run cli -- audit:verify', () => {
    it('exits 0 on an intact log and 1 naming the first row changed', async () => {
      const intact = await cli(['audit:verify']);
      expect(intact.code).toBe(0);
      expect(intact.stdout).toContain('The audit log verifies');
      const target = await rowAt(3);
      await whileTampered(
        () => db.query(`UPDATE audit_events SET outcome = 'failure' WHERE seq = 3`).then(),
        async () => {
          const broken = await cli(['audit:verify']);
          expect(broken.code).toBe(1);
          expect(broken.stderr).toContain('changed: row 3');
          expect(JSON.parse(broken.stdout)).toMatchObject({
            valid: false,
            finding: { kind: 'changed', seq: 3, row_id: target.id },
          });
        },
      );
    });
  });

  describe('POST /v1/admin/audit-events/verify', () => {
    it('needs a token and the audit:verify permission', async () => {
      expectProblem(
        await send(t, 'POST', '/v1/admin/audit-events/verify', null),
        401,
        'unauthorized',
      );
      const user = await signedInUser(t);
      expectProblem(
        await send(t, 'POST', '/v1/admin/audit-events/verify', user.token),
        403,
        'forbidden',
      );
      const reader = await signedInUser(t);
      const role = await send(t, 'POST', '/v1/roles', admin.token, {
        name: uniqueName('audit-readers'),
        permissions: ['audit:read'],
      });
      const roleId = role.json<{ role: { id: string } }>().role.id;
      await send(t, 'PUT', `/v1/users/${reader.id}/roles/${roleId}`, admin.token);
      const fresh = await login(t, reader.email, 'correct horse battery staple 42', {
        ip: uniqueIp(),
      });
      expect((await get(t, '/v1/admin/audit-events?limit=1', fresh.access_token)).statusCode).toBe(
        200,
      );
      expectProblem(
        await send(t, 'POST', '/v1/admin/audit-events/verify', fresh.access_token),
        403,
        'forbidden',
      );
    });
  });

  describe('retention of audit rows', () => {
    const purgeBatch = (before: Date, limit: number) =>
      t.app.get(Transactions).run(() => t.app.get(AuditChain).purgePastRetention(before, limit));
    const seqsUpTo = async (seq: number) =>
      Number(
        (
          await db.query<{ count: string }[]>('SELECT count(*) FROM audit_events WHERE seq <= $1', [
            seq,
          ])
        )[0].count,
      );

    it('purges only up to a signed checkpoint it marks first: the kept chain verifies, mid-purge too', async () => {
      const verifier = t.app.get(AuditChainVerifier);
      const chain = t.app.get(AuditChain);
      const addRows = async (count: number) => {
        for (let i = 0; i < count; i++) {
          await send(t, 'POST', '/v1/roles', admin.token, { name: uniqueName('kept') });
        }
        await settled(t);
        await chain.sealPending();
      };
      await addRows(3);
      const cut = (await t.app.get(AuditCheckpoints).checkpoint())!;
      await addRows(2);
      const [{ head }] = await db.query<{ head: string }[]>(
        'SELECT max(seq) AS head FROM audit_events',
      );
      const future = new Date(Date.now() + 24 * 3600_000);

      await whileTampered(
        async () => {
          // Rows after the newest checkpoint stay, however old: no signed head to start from.
          expect(await purgeBatch(future, 2)).toBe(2);
          const midway = await verifier.verify();
          expect(midway).toMatchObject({ valid: true, finding: null, purgedThrough: cut });
          let purged = 2;
          for (let deleted = 1; deleted > 0; purged += deleted) {
            deleted = await purgeBatch(future, 2);
          }
          expect(purged).toBe(cut);
          expect(await seqsUpTo(cut)).toBe(0);
          expect(await purgeBatch(future, 2)).toBe(0);
        },
        async () => {
          const report = await verifier.verify();
          expect(report).toMatchObject({
            valid: true,
            finding: null,
            purgedThrough: cut,
            rowsChecked: Number(head) - cut,
            head: { seq: Number(head) },
          });
          const api = await verifyChain();
          expect(api).toMatchObject({ valid: true, purged_through: cut });
          // A kept row deleted is still found.
          await db.query('DELETE FROM audit_events WHERE seq = $1', [cut + 1]);
          expect((await verifier.verify()).finding).toMatchObject({
            kind: 'deleted',
            seq: cut + 1,
          });
        },
      );
    });

    it('purges nothing before its retention', async () => {
      const before = await seqsUpTo(Number.MAX_SAFE_INTEGER);
      expect(await purgeBatch(new Date(Date.now() - 24 * 3600_000), 1000)).toBe(0);
      expect(await seqsUpTo(Number.MAX_SAFE_INTEGER)).toBe(before);
    });

    it('purges authentication events older than their retention, oldest first', async () => {
      const events = t.app.get(AuthEventRepository);
      const count = async () =>
        Number((await db.query<{ count: string }[]>('SELECT count(*) FROM auth_events'))[0].count);
      const all = await count();
      expect(all).toBeGreaterThan(0);
      const transactions = t.app.get(Transactions);
      expect(
        await transactions.run(() => events.purgeOlderThan(new Date(Date.now() - 3600_000), 100)),
      ).toBe(0);
      expect(
        await transactions.run(() => events.purgeOlderThan(new Date(Date.now() + 3600_000), 2)),
      ).toBe(2);
      expect(await count()).toBe(all - 2);
    });
  });

  // Last: it retires the key the admin's token was signed with.
  describe('once the key that signed a checkpoint is retired and pruned from the JWKS', () => {
    it('verifies it with the key recorded with it, says so, and refuses a recorded key that is not the kid', async () => {
      const keys = t.app.get(SigningKeyService);
      const verifier = t.app.get(AuditChainVerifier);
      const [{ kid }] = await db.query<{ kid: string }[]>(
        'SELECT kid FROM audit_checkpoints ORDER BY created_at DESC LIMIT 1',
      );
      const rotatedAt = new Date(Date.now() + 30 * 24 * 3600_000);
      expect(await keys.rotateIfDue(rotatedAt)).toBe(true);
      await keys.rotateIfDue(new Date(rotatedAt.getTime() + 21 * 60_000));
      expect((await keys.publishedKeys()).map((key) => key.kid)).not.toContain(kid);

      const report = await verifier.verify();
      expect(report).toMatchObject({
        valid: true,
        finding: null,
        checkpoints: { latest: { kid, key: 'recorded' } },
      });

      await whileTampered(
        () =>
          db
            .query(
              `UPDATE audit_checkpoints SET public_jwk = jsonb_set(public_jwk, '{x}', to_jsonb($1::text))`,
              [Buffer.alloc(32, 9).toString('base64url')],
            )
            .then(),
        async () => {
          expect((await verifier.verify()).finding).toMatchObject({
            kind: 'checkpoint_invalid',
            detail: expect.stringContaining('neither published nor recorded'),
          });
        },
      );
    });
  });
});
