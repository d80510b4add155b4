import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';

@Injectable()
export class PolicySetRepository {
  constructor(private readonly transactions: Transactions) {}

  /**
   * The next version. Locks the single state row until the transaction ends, so concurrent
   * changes take versions in the order they commit. (UPDATE … RETURNING inside a WITH: the
   * driver answers a bare UPDATE with [rows, count], a SELECT with its rows.)
   */
  async bump(): Promise<number> {
    const rows = await this.transactions.manager().query<{ version: string }[]>(
      `WITH bumped AS (
           UPDATE policy_set_state SET version = version + 1, updated_at = now() RETURNING version
         )
         SELECT version FROM bumped`,
    );
    return Number(rows[0].version);
  }

  async currentVersion(): Promise<number> {
    const rows = await this.transactions
      .manager()
      .query<{ version: string }[]>('SELECT version FROM policy_set_state');
    return Number(rows[0].version);
  }
}
