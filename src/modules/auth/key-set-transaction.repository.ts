import { EntityManager } from 'typeorm';
import { SigningKey } from './signing-key.entity';

/** The key-set operations available inside `SigningKeyRepository.changeKeySet`. */
export class KeySetTransaction {
  constructor(private readonly manager: EntityManager) {}

  /** With the sealed private key, which is otherwise never selected. */
  findByStatus(status: 'next' | 'current'): Promise<SigningKey | null> {
    return this.manager
      .getRepository(SigningKey)
      .createQueryBuilder('k')
      .addSelect('k.privateKeySealed')
      .where('k.status = :status', { status })
      .getOne();
  }

  async insert(key: SigningKey): Promise<void> {
    await this.manager.getRepository(SigningKey).insert(key);
  }

  /**
   * current → retired (its private half erased), then next → current. Both happen in the
   * caller's transaction, so other transactions never see the key set without a current key.
   */
  async promote(
    current: Pick<SigningKey, 'kid'> | null,
    next: Pick<SigningKey, 'kid'>,
    at: Date,
  ): Promise<void> {
    const keys = this.manager.getRepository(SigningKey);
    if (current) {
      await keys.update(
        { kid: current.kid },
        { status: 'retired', retiredAt: at, privateKeySealed: null },
      );
    }
    await keys.update({ kid: next.kid }, { status: 'current', activatedAt: at });
  }

  /** Retired keys no token can still depend on leave the JWKS and the database. */
  async deleteRetiredBefore(cutoff: Date): Promise<void> {
    await this.manager
      .getRepository(SigningKey)
      .createQueryBuilder()
      .delete()
      .where("status = 'retired' AND retired_at <= :cutoff", { cutoff })
      .execute();
  }
}
