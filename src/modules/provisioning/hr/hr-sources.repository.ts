import { Injectable } from '@nestjs/common';
import { Transactions } from '../../../database/transactions';
import { HrSource } from './hr-source.entity';

const UNIQUE_VIOLATION = '23505';

export type NewHrSource = Omit<HrSource, 'createdAt'>;

/** HR sources; the only code that reads or writes `hr_sources`. */
@Injectable()
export class HrSourcesRepository {
  constructor(private readonly transactions: Transactions) {}

  private get sources() {
    return this.transactions.manager().getRepository(HrSource);
  }

  /** False when another source has the name. */
  async insert(source: NewHrSource): Promise<boolean> {
    try {
      await this.transactions.savepoint(() => this.sources.insert(source));
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return false;
      throw error;
    }
  }

  findById(id: string): Promise<HrSource | null> {
    return this.sources.findOneBy({ id });
  }

  /** Oldest first, after the source `after` (its id, UUIDv7: creation order). */
  list(limit: number, after: string | null): Promise<HrSource[]> {
    const query = this.sources.createQueryBuilder('s').orderBy('s.id', 'ASC').limit(limit);
    if (after) query.where('s.id > :after', { after });
    return query.getMany();
  }

  /** The source with its sealed signing secret, for checking a signature. */
  findWithSecret(id: string): Promise<(HrSource & { secretSealed: string | null }) | null> {
    return this.sources
      .createQueryBuilder('s')
      .addSelect('s.secretSealed')
      .where('s.id = :id', { id })
      .getOne();
  }

  findByApiKeyHash(hash: Buffer): Promise<HrSource | null> {
    return this.sources.createQueryBuilder('s').where('s.api_key_hash = :hash', { hash }).getOne();
  }

  /** False when there was no such source. */
  async delete(id: string): Promise<boolean> {
    const result = await this.sources.delete({ id });
    return (result.affected ?? 0) > 0;
  }
}
