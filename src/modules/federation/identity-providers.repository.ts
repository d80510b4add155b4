import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { IdentityProvider } from './identity-provider.entity';

const UNIQUE_VIOLATION = '23505';
/** Columns selected only on purpose (`select: false`). */
const SEALED_SECRETS = [
  'p.clientSecretSealed',
  'p.managementApiTokenSealed',
  'p.webhookSecretSealed',
];

/** A provider with its sealed secrets, as sign-in, webhooks and sync need it. */
export type ProviderWithSecrets = IdentityProvider & {
  clientSecretSealed: string;
  managementApiTokenSealed: string | null;
  webhookSecretSealed: string | null;
};

export type NewProvider = Omit<IdentityProvider, 'createdAt' | 'updatedAt'>;
export type ProviderChanges = Partial<Omit<IdentityProvider, 'id' | 'createdAt' | 'updatedAt'>>;

/** Identity providers; the only code that reads or writes `identity_providers`. */
@Injectable()
export class IdentityProvidersRepository {
  constructor(private readonly transactions: Transactions) {}

  private get providers() {
    return this.transactions.manager().getRepository(IdentityProvider);
  }

  /** False when another provider has the slug. */
  async insert(provider: NewProvider): Promise<boolean> {
    try {
      await this.transactions.savepoint(() => this.providers.insert(provider));
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return false;
      throw error;
    }
  }

  /** False when the slug is another provider's. */
  async update(id: string, changes: ProviderChanges): Promise<boolean> {
    if (Object.keys(changes).length === 0) return true;
    try {
      await this.transactions.savepoint(() => this.providers.update({ id }, changes));
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return false;
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    await this.providers.delete({ id });
  }

  findById(id: string): Promise<IdentityProvider | null> {
    return this.providers.findOneBy({ id });
  }

  findByIdForUpdate(id: string): Promise<IdentityProvider | null> {
    return this.providers
      .createQueryBuilder('p')
      .where('p.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
  }

  findBySlug(slug: string): Promise<IdentityProvider | null> {
    return this.providers.findOneBy({ slug });
  }

  /** With the sealed secrets, which nothing else selects. */
  async findWithSecrets(
    where: { id: string } | { slug: string },
  ): Promise<ProviderWithSecrets | null> {
    const found = await this.providers
      .createQueryBuilder('p')
      .addSelect(SEALED_SECRETS)
      .where('id' in where ? 'p.id = :id' : 'p.slug = :slug', where)
      .getOne();
    return found;
  }

  /** Providers in creation order (UUIDv7), after the one with id `after`. */
  list(limit: number, after: string | null): Promise<IdentityProvider[]> {
    const query = this.providers.createQueryBuilder('p').orderBy('p.id', 'ASC').limit(limit);
    if (after) query.where('p.id > :after', { after });
    return query.getMany();
  }

  /** Enabled providers with their sealed secrets, in creation order. */
  async listEnabledWithSecrets(): Promise<ProviderWithSecrets[]> {
    return this.providers
      .createQueryBuilder('p')
      .addSelect(SEALED_SECRETS)
      .where('p.enabled = true')
      .orderBy('p.id', 'ASC')
      .getMany();
  }

  listEnabled(): Promise<IdentityProvider[]> {
    return this.providers.find({ where: { enabled: true }, order: { id: 'ASC' } });
  }
}
