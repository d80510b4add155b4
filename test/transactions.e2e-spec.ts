import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { Transactions } from '../src/database/transactions';
import { testConfig } from './support/test-app';

describe('Transactions', () => {
  let dataSource: DataSource;
  let transactions: Transactions;

  beforeAll(async () => {
    const config = testConfig();
    dataSource = await new DataSource(dataSourceOptions(config, config.database.url!)).initialize();
    transactions = new Transactions(dataSource);
    await transactions.onModuleInit();
  });
  afterAll(() => dataSource.destroy());

  const isolation = async () => {
    const [row] = await transactions
      .manager()
      .query<{ transaction_isolation: string }[]>('SHOW transaction_isolation');
    return row.transaction_isolation;
  };

  describe('afterCommit', () => {
    it('runs callbacks once the outermost transaction commits, in order', async () => {
      const calls: string[] = [];
      await transactions.run(async () => {
        await transactions.run(async () => {
          await transactions.manager().query('SELECT 1');
          void transactions.afterCommit(() => void calls.push('inner'));
        });
        void transactions.afterCommit(() => void calls.push('outer'));
        expect(calls).toEqual([]);
      });
      expect(calls).toEqual(['inner', 'outer']);
    });

    it('never runs them after a rollback, and at once outside a transaction', async () => {
      const calls: string[] = [];
      await expect(
        transactions.run(async () => {
          await transactions.manager().query('SELECT 1');
          void transactions.afterCommit(() => void calls.push('rolled back'));
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      await transactions.afterCommit(() => void calls.push('outside'));
      expect(calls).toEqual(['outside']);
    });

    it('resolves the transaction only once its callbacks have', async () => {
      const calls: string[] = [];
      await transactions.run(async () => {
        await transactions.manager().query('SELECT 1');
        void transactions.afterCommit(async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          calls.push('slow callback');
        });
      });
      expect(calls).toEqual(['slow callback']);
    });
  });

  describe('runIsolated', () => {
    it('opens a transaction at the level asked; run keeps the server default', async () => {
      expect(await transactions.runIsolated('REPEATABLE READ', isolation)).toBe('repeatable read');
      expect(await transactions.run(isolation)).toBe('read committed');
    });

    it('refuses to join an open transaction, whose level it could not have', async () => {
      await expect(
        transactions.run(() => transactions.runIsolated('REPEATABLE READ', isolation)),
      ).rejects.toThrow('a REPEATABLE READ transaction cannot join an open one');
    });
  });

  describe('prepared', () => {
    const txid = (name: string) =>
      transactions.prepared<{ txid: string }>(
        name,
        'SELECT txid_current_if_assigned()::text AS txid',
        [],
      );

    it('runs a named statement in the open transaction, and on the pool outside one', async () => {
      await transactions.run(async () => {
        const [{ txid: assigned }] = await transactions
          .manager()
          .query<{ txid: string }[]>('SELECT txid_current()::text AS txid');
        // Sees the transaction's own id: it ran on the transaction's connection.
        expect(await txid('test.txid')).toEqual([{ txid: assigned }]);
      });
      expect(await txid('test.txid')).toEqual([{ txid: null }]);
    });

    it('prepares a name once per connection and reuses it with other values', async () => {
      const echo = (value: number) =>
        transactions.prepared<{ n: number }>('test.echo', 'SELECT $1::int AS n', [value]);
      const answers = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(echo));
      expect(answers.map(([row]) => row.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    });
  });
});
