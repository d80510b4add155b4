import { Injectable } from '@nestjs/common';
import { Transactions } from '../../../database/transactions';
import { SyncRun } from './sync-run.entity';

const UNIQUE_VIOLATION = '23505';

/** Sync runs; the only code that reads or writes their table. */
@Injectable()
export class ProviderSyncRepository {
  constructor(private readonly transactions: Transactions) {}

  private get runs() {
    return this.transactions.manager().getRepository(SyncRun);
  }

  /** A new running sync, or null when one is running for the provider already. */
  async startRun(providerId: string): Promise<SyncRun | null> {
    try {
      const [inserted] = await this.transactions.savepoint(() =>
        this.runs.save([this.runs.create({ providerId, status: 'running' })]),
      );
      return inserted;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
      throw error;
    }
  }

  findRunning(providerId: string): Promise<SyncRun | null> {
    return this.runs.findOneBy({ providerId, status: 'running' });
  }

  findRun(providerId: string, id: string): Promise<SyncRun | null> {
    return this.runs.findOneBy({ providerId, id });
  }

  findRunForUpdate(id: string): Promise<SyncRun | null> {
    return this.runs
      .createQueryBuilder('r')
      .where('r.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
  }

  /** A page was read and applied: where the next one is, and the counts so far. */
  async recordPage(
    id: string,
    cursor: string | null,
    seen: number,
    updated: number,
  ): Promise<void> {
    await this.runs
      .createQueryBuilder()
      .update()
      .set({
        cursor,
        pagesRead: () => 'pages_read + 1',
        usersSeen: () => `users_seen + ${Number(seen)}`,
        usersUpdated: () => `users_updated + ${Number(updated)}`,
      })
      .where('id = :id', { id })
      .execute();
  }

  async finishRun(id: string, status: 'completed' | 'failed', error: string | null): Promise<void> {
    await this.runs.update({ id }, { status, error, finishedAt: new Date() });
  }
}
