import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

interface OpenTransaction {
  manager: EntityManager;
  afterCommit: (() => void | Promise<void>)[];
  /** Savepoints opened so far, to name the next one. */
  savepoints: number;
}

/**
 * Unit of work across repositories: `run` opens a transaction (or joins the one already
 * open) and every repository that asks `manager()` inside it gets the transaction's manager,
 * so a use case can span modules without passing an EntityManager around.
 */
@Injectable()
export class Transactions implements OnModuleInit {
  private readonly current = new AsyncLocalStorage<OpenTransaction>();
  /**
   * Named statements live in a database session. The embedded database (PGlite, however it is
   * reached: in process, or through its socket server as the test suite does) serves every pool
   * connection from its one session, where a second connection preparing the same name fails.
   * Off until the server has said what it is.
   */
  private namedStatements = false;

  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const [{ version }] = await this.dataSource.query<{ version: string }[]>(
      'SELECT version() AS version',
    );
    this.namedStatements = !version.includes('PGlite');
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.current.getStore()) return work();
    return this.open(undefined, work);
  }

  /**
   * A transaction of its own at a stronger isolation level (a consistent snapshot across
   * several reads, say). Refused inside another transaction, which it could not join.
   */
  runIsolated<T>(isolation: IsolationLevel, work: () => Promise<T>): Promise<T> {
    if (this.current.getStore()) {
      return Promise.reject(new Error(`a ${isolation} transaction cannot join an open one`));
    }
    return this.open(isolation, work);
  }

  /** The server's default isolation (read committed) unless asked: no extra SET statement. */
  private async open<T>(isolation: IsolationLevel | undefined, work: () => Promise<T>): Promise<T> {
    const afterCommit: (() => void | Promise<void>)[] = [];
    const inside = (manager: EntityManager) =>
      this.current.run({ manager, afterCommit, savepoints: 0 }, work);
    const result = await (isolation
      ? this.dataSource.transaction(isolation, inside)
      : this.dataSource.transaction(inside));
    for (const callback of afterCommit) await callback();
    return result;
  }

  /** Whether the caller runs inside a transaction opened here (`run` or `runIsolated`). */
  inTransaction(): boolean {
    return this.current.getStore() !== undefined;
  }

  /** The open transaction's manager, or the pool's outside a transaction. */
  manager(): EntityManager {
    return this.current.getStore()?.manager ?? this.dataSource.manager;
  }

  /**
   * Runs a hot statement as a named prepared statement: each pool connection parses and plans
   * it once (PostgreSQL then keeps a generic plan), where an unnamed one is parsed and planned
   * at every call; for the rotation of a refresh token, planning took longer than executing.
   * `name` must stand for this one `text`. In the open transaction if there is one.
   */
  async prepared<T extends QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<T[]> {
    if (!this.namedStatements) return this.manager().query<T[]>(text, values);
    const transaction = this.current.getStore()?.manager.queryRunner;
    const client: Pool | PoolClient = transaction
      ? ((await transaction.connect()) as PoolClient)
      : ((this.dataSource.driver as PostgresDriver).master as Pool);
    const result = await client.query<T>({ name, text, values });
    return result.rows;
  }

  /**
   * The connection statements must go through to join the open transaction (or the pool's,
   * outside one), as a plain `query(text, values)` answering pg's result: for libraries that
   * write their own SQL, such as the job queue enqueuing a job atomically with a change.
   */
  async connection(): Promise<Pick<PoolClient, 'query'>> {
    const transaction = this.current.getStore()?.manager.queryRunner;
    if (transaction) return (await transaction.connect()) as PoolClient;
    return (this.dataSource.driver as PostgresDriver).master as Pool;
  }

  /**
   * Runs `work` inside the open transaction behind a savepoint: if it fails, what it wrote is
   * undone and the error rethrown, while the transaction stays usable for what follows.
   */
  async savepoint<T>(work: () => Promise<T>): Promise<T> {
    const open = this.current.getStore();
    if (!open) throw new Error('a savepoint needs an open transaction');
    const name = `sp_${++open.savepoints}`;
    await open.manager.query(`SAVEPOINT ${name}`);
    try {
      const result = await work();
      await open.manager.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await open.manager.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw error;
    }
  }

  /**
   * Runs `callback` once the outermost open transaction has committed (never if it rolls
   * back), or at once outside a transaction: what others learn of a change must not precede
   * it, even when the change joined a caller's larger transaction. The transaction's `run`
   * resolves once the callbacks have (so a caller can rely on what they did). The callback must
   * not throw or reject.
   */
  async afterCommit(callback: () => void | Promise<void>): Promise<void> {
    const open = this.current.getStore();
    if (open) open.afterCommit.push(callback);
    else await callback();
  }
}
