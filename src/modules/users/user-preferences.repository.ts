import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { UserPreferences } from './user-preferences.entity';

@Injectable()
export class UserPreferencesRepository {
  constructor(private readonly transactions: Transactions) {}

  private get preferences() {
    return this.transactions.manager().getRepository(UserPreferences);
  }

  findByUser(userId: string): Promise<UserPreferences | null> {
    return this.preferences.findOneBy({ userId });
  }

  /** Replaces the whole document (PUT semantics). */
  async save(preferences: Omit<UserPreferences, 'updatedAt' | 'user'>): Promise<UserPreferences> {
    await this.preferences.upsert({ ...preferences, updatedAt: new Date() }, ['userId']);
    return (await this.findByUser(preferences.userId))!;
  }
}
