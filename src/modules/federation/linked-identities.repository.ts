import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { LinkedIdentity } from './linked-identity.entity';

const UNIQUE_VIOLATION = '23505';

export type NewLinkedIdentity = Pick<
  LinkedIdentity,
  'userId' | 'providerId' | 'issuer' | 'subject' | 'email' | 'lastLoginAt'
>;

/** A linked identity with the slug and name of its provider, as its owner lists it. */
export interface LinkedIdentityView extends LinkedIdentity {
  providerSlug: string;
  providerName: string;
}

/** Linked identities; the only code that reads or writes `linked_identities`. */
@Injectable()
export class LinkedIdentitiesRepository {
  constructor(private readonly transactions: Transactions) {}

  private get identities() {
    return this.transactions.manager().getRepository(LinkedIdentity);
  }

  /** The new row, or null when (issuer, subject) is linked already (a concurrent sign-in). */
  async insert(identity: NewLinkedIdentity): Promise<LinkedIdentity | null> {
    try {
      await this.transactions.savepoint(() => this.identities.insert(identity));
      return await this.identities.findOneByOrFail({
        issuer: identity.issuer,
        subject: identity.subject,
      });
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
      throw error;
    }
  }

  /** The identity of (issuer, subject), locked for the rest of the transaction. */
  findBySubjectForUpdate(issuer: string, subject: string): Promise<LinkedIdentity | null> {
    return this.identities
      .createQueryBuilder('i')
      .where('i.issuer = :issuer AND i.subject = :subject', { issuer, subject })
      .setLock('pessimistic_write')
      .getOne();
  }

  /** The identities of one user, oldest first, with their providers' names. */
  async listOfUser(userId: string): Promise<LinkedIdentityView[]> {
    const rows = await this.identities
      .createQueryBuilder('i')
      .innerJoin('i.provider', 'p')
      .addSelect(['p.slug', 'p.displayName'])
      .where('i.user_id = :userId', { userId })
      .orderBy('i.id', 'ASC')
      .getMany();
    return rows.map((row) => ({
      ...row,
      providerSlug: row.provider!.slug,
      providerName: row.provider!.displayName,
    }));
  }

  countOfUser(userId: string): Promise<number> {
    return this.identities.countBy({ userId });
  }

  /** Deletes one identity of the user; false when the user has no such identity. */
  async deleteOfUser(userId: string, id: string): Promise<LinkedIdentity | null> {
    const found = await this.identities
      .createQueryBuilder('i')
      .where('i.id = :id AND i.user_id = :userId', { id, userId })
      .setLock('pessimistic_write')
      .getOne();
    if (!found) return null;
    await this.identities.delete({ id });
    return found;
  }

  /**
   * The identities of a provider's users (by subject), locked for the rest of the transaction;
   * in id order, so that two batches never deadlock.
   */
  findByProviderSubjectsForUpdate(
    providerId: string,
    subjects: string[],
  ): Promise<LinkedIdentity[]> {
    if (subjects.length === 0) return Promise.resolve([]);
    return this.identities
      .createQueryBuilder('i')
      .where('i.provider_id = :providerId AND i.subject IN (:...subjects)', {
        providerId,
        subjects,
      })
      .orderBy('i.id', 'ASC')
      .setLock('pessimistic_write')
      .getMany();
  }

  /** Which of a provider's users (by subject) are linked here. */
  async linkedSubjects(providerId: string, subjects: string[]): Promise<Set<string>> {
    if (subjects.length === 0) return new Set();
    const rows = await this.identities
      .createQueryBuilder('i')
      .select('i.subject', 'subject')
      .where('i.provider_id = :providerId AND i.subject IN (:...subjects)', {
        providerId,
        subjects,
      })
      .getRawMany<{ subject: string }>();
    return new Set(rows.map((row) => row.subject));
  }

  /** The identities of one user at providers with a management API. */
  listOfUserForSync(userId: string): Promise<LinkedIdentity[]> {
    return this.identities
      .createQueryBuilder('i')
      .innerJoin('i.provider', 'p')
      .where('i.user_id = :userId AND p.management_api_kind IS NOT NULL', { userId })
      .orderBy('i.id', 'ASC')
      .getMany();
  }

  /** The providers' states applied to many identities, in one statement. */
  async recordSyncs(
    states: { id: string; remoteUpdatedAt: Date; providerStatus: string; email: string | null }[],
    at: Date,
  ): Promise<void> {
    if (states.length === 0) return;
    await this.transactions.manager().query(
      `UPDATE linked_identities i
          SET remote_updated_at = s.remote_updated_at, provider_status = s.provider_status,
              email = s.email, synced_at = $2
         FROM jsonb_to_recordset($1::jsonb)
              AS s(id uuid, remote_updated_at timestamptz, provider_status text, email text)
        WHERE i.id = s.id`,
      [
        JSON.stringify(
          states.map((state) => ({
            id: state.id,
            remote_updated_at: state.remoteUpdatedAt.toISOString(),
            provider_status: state.providerStatus,
            email: state.email,
          })),
        ),
        at,
      ],
    );
  }

  async recordSignIn(id: string, at: Date, email: string | null): Promise<void> {
    await this.identities.update({ id }, { lastLoginAt: at, email });
  }
}
