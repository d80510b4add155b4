import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { KeySetTransaction } from './key-set-transaction.repository';
import { SigningKey } from './signing-key.entity';

/** Serialises changes to the key set across instances (transaction-scoped advisory lock). */
const KEY_SET_LOCK = 7_243_118_602;

@Injectable()
export class SigningKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction that no other instance's key-set change overlaps. */
  changeKeySet<T>(work: (keys: KeySetTransaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [KEY_SET_LOCK]);
      return work(new KeySetTransaction(manager));
    });
  }

  /** Every key still stored (public halves only), newest first. */
  findAll(): Promise<SigningKey[]> {
    return this.dataSource.getRepository(SigningKey).find({ order: { createdAt: 'DESC' } });
  }

  /** The key that signs now, with its sealed private key. */
  findCurrentWithPrivateKey(): Promise<SigningKey | null> {
    return this.dataSource
      .getRepository(SigningKey)
      .createQueryBuilder('k')
      .addSelect('k.privateKeySealed')
      .where("k.status = 'current'")
      .getOne();
  }
}
