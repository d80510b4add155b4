import { EntityManager } from 'typeorm';
import { SigningKey } from './signing-key.entity';

/** The key-set operations available inside `changeKeySet`. */
export class KeySetTransaction {
  constructor(private readonly manager: EntityManager) {}

  findByStatus(status: 'next' | 'current'): Promise<SigningKey | null> {
    return this.manager.getRepository(SigningKey).findOne({ where: { status } });
  }

  async insert(key: Omit<SigningKey, 'createdAt'>): Promise<void> {
    await this.manager.getRepository(SigningKey).insert(key);
  }

  /** current → retired, then next → current: the order keeps one of each at every moment. */
  async promote(
    current: Pick<SigningKey, 'kid'> | null,
    next: Pick<SigningKey, 'kid'>,
    at: Date,
  ): Promise<void> {
    const keys = this.manager.getRepository(SigningKey);
    if (current) await keys.update({ kid: current.kid }, { status: 'retired', retiredAt: at });
    await keys.update({ kid: next.kid }, { status: 'current', activatedAt: at });
  }

  /** Retired keys no token can still depend on are deleted, private half and all. */
  async deleteRetiredBefore(cutoff: Date): Promise<void> {
    await this.manager
      .getRepository(SigningKey)
      .createQueryBuilder()
      .delete()
      .where("status = 'retired' AND retired_at <= :cutoff", { cutoff })
      .execute();
  }
}
