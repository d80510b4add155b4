import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EnvelopeCipher } from '../src/common/crypto/envelope-cipher';
import { fieldContext } from '../src/common/crypto/field-vault';
import { Transactions } from '../src/database/transactions';
import { DEFAULT_REWRAP_BATCH, EnvelopeRewrap } from '../src/modules/master-keys/envelope-rewrap';
import { SealedEnvelopesRepository } from '../src/modules/master-keys/sealed-envelopes.repository';
import { ACCOUNT_CREDENTIALS_PURPOSE } from '../src/modules/trading-accounts/trading-account-vault';
import { subjectIds } from './authz-http-fixture';
import type { Benchmark } from './benchmark';
import { renderSection } from './results-file';
import { removeAccounts, seedAccounts } from './trading-accounts-fixture';

/** Envelopes seeded: the 100,000 unless REWRAP_BENCH_ENVELOPES says fewer (a quick check). */
function seededEnvelopes(): number {
  const raw = process.env.REWRAP_BENCH_ENVELOPES;
  if (raw === undefined || raw === '') return 100_000;
  if (!/^\d+$/.test(raw) || Number(raw) < 1000 || Number(raw) % 4 !== 0) {
    throw new Error(
      `REWRAP_BENCH_ENVELOPES must be a multiple of 4 of at least 1000, got "${raw}"`,
    );
  }
  return Number(raw);
}

const FIELDS = ['access_token', 'public_token', 'api_key', 'api_secret'];
const INSERT_BATCH = 10_000;
const SAMPLE = 200;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * `keys:rewrap` over 100,000 envelopes: broker credentials (four per account, as accounts with
 * their own app hold) sealed under a previous master key, resealed under the current one by the
 * same code the CLI runs, in its default batches, on the benchmark's database.
 */
export const keysRewrapBenchmark: Benchmark = {
  id: 'keys-rewrap',
  budgetSeconds: 900,
  async run({ gatehouse, progress }) {
    const app = await gatehouse();
    const database = app.app.get(DataSource);
    const envelopes = seededEnvelopes();
    const tag = `r${randomBytes(4).toString('hex')}`;
    const previousKey = randomBytes(32);
    const currentKey = randomBytes(32);
    const previous = new EnvelopeCipher(previousKey);
    const ring = new EnvelopeCipher(currentKey, [previousKey]);
    const { owner } = await subjectIds(app, tag, ['owner']);
    progress(`seeding ${envelopes} envelopes under a previous master key`);
    const accounts = await seedAccounts(app, tag, owner, envelopes / FIELDS.length);
    try {
      const rows = accounts.flatMap((account) =>
        FIELDS.map((field) => ({
          accountId: account.id,
          field,
          envelope: previous.encrypt(
            randomBytes(24),
            fieldContext(ACCOUNT_CREDENTIALS_PURPOSE, account.id, field),
          ),
        })),
      );
      for (let from = 0; from < rows.length; from += INSERT_BATCH) {
        const batch = rows.slice(from, from + INSERT_BATCH);
        await database.query(
          `INSERT INTO trading_account_credentials (account_id, field, envelope, key_id)
           SELECT a, f, e, $4 FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(a, f, e)`,
          [
            batch.map((r) => r.accountId),
            batch.map((r) => r.field),
            batch.map((r) => r.envelope),
            previous.keyId,
          ],
        );
      }
      await database.query('ANALYZE trading_account_credentials');

      const rewrap = new EnvelopeRewrap(
        new SealedEnvelopesRepository(new Transactions(database)),
        ring,
      );
      progress('rewrapping');
      let started = performance.now();
      const report = await rewrap.rewrap();
      const firstMs = performance.now() - started;
      const credentials = report.find((r) => r.column === 'trading_account_credentials.envelope');
      if (credentials?.rewrapped !== envelopes) {
        throw new Error(`expected ${envelopes} rewrapped, got ${JSON.stringify(report)}`);
      }
      started = performance.now();
      const again = await rewrap.rewrap();
      const secondMs = performance.now() - started;
      if (again.some((r) => r.rewrapped > 0)) {
        throw new Error(`a second run rewrapped again: ${JSON.stringify(again)}`);
      }
      // What was resealed opens under the new key alone, for its own account and field.
      const current = new EnvelopeCipher(currentKey);
      const sampled = await database.query<
        { account_id: string; field: string; envelope: string }[]
      >(
        `SELECT account_id, field, envelope FROM trading_account_credentials
          WHERE account_id = ANY($1::uuid[]) ORDER BY random() LIMIT ${SAMPLE}`,
        [accounts.map((a) => a.id)],
      );
      for (const row of sampled) {
        current.decrypt(
          row.envelope,
          fieldContext(ACCOUNT_CREDENTIALS_PURPOSE, row.account_id, row.field),
        );
      }
      const table = [
        '| envelopes | batch | rewrap | envelopes/s | second run (nothing left) |',
        '| ---: | ---: | ---: | ---: | ---: |',
        `| ${envelopes} | ${DEFAULT_REWRAP_BATCH} | ${seconds(firstMs)} | ${Math.round(
          envelopes / (firstMs / 1000),
        )} | ${seconds(secondMs)} |`,
      ].join('\n');
      return renderSection({
        title: 'Master-key rotation: keys:rewrap over 100,000 envelopes',
        description:
          `${envelopes} broker credentials (${envelopes / FIELDS.length} accounts with their own ` +
          'app: access and public token, api_key and api_secret) sealed under a previous master ' +
          'key, resealed under the current one by `keys:rewrap`’s code (EnvelopeRewrap) in its ' +
          'default batches: each batch read by primary key, every envelope opened and sealed ' +
          'anew (a fresh data key), and written in one statement that keeps any value changed ' +
          'meanwhile. The run walks every sealed column of the database, as the command does. ' +
          'The second run finds nothing left: the cost of rerunning it after an interruption ' +
          `or to check. ${SAMPLE} resealed envelopes, sampled, are opened with the new key alone.`,
        settings: `database: ${app.database}.`,
        table,
      });
    } finally {
      await removeAccounts(
        app,
        accounts.map((a) => a.id),
      );
    }
  },
};
