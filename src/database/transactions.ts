import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Unit of work across repositories: `run` opens a transaction (or joins the one already
 * open) and every repository that asks `manager()` inside it gets the transaction's manager,
 * so a use case can span modules without passing an EntityManager around.
 */
@Injectable()
export class Transactions {
  private readonly current = new AsyncLocalStorage<EntityManager>();

  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.current.getStore()) return work();
    return this.dataSource.transaction((manager) => this.current.run(manager, work));
  }

  /** The open transaction's manager, or the pool's outside a transaction. */
  manager(): EntityManager {
    return this.current.getStore() ?? this.dataSource.manager;
  }
}
