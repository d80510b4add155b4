import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { UserStatus } from '../users/user-status';

/** What a password login needs to know of an account before and after checking the password. */
export interface LoginAccount {
  userId: string;
  status: UserStatus;
  /** Null for an account without a password (federated). */
  passwordHash: string | null;
  /** Whether the account has an activated authenticator app: the login then owes a code. */
  hasActiveFactor: boolean;
}

/**
 * The read a password login starts with. It reads the users and MFA modules' tables rather than
 * asking each module in a statement of its own: every round trip costs a login more CPU than
 * the read itself, CPU its argon2 verification then lacks. Whether the account has a factor is
 * read for every attempt, known address or not, and told only after a right password.
 */
@Injectable()
export class LoginRepository {
  constructor(private readonly transactions: Transactions) {}

  /** The account with this (normalized) address, or null. */
  async findAccount(email: string): Promise<LoginAccount | null> {
    const rows = await this.transactions.prepared<{
      id: string;
      status: UserStatus;
      password_hash: string | null;
      has_active_factor: boolean;
    }>(
      'login.find_account',
      `SELECT u.id, u.status, u.password_hash,
              EXISTS (SELECT 1 FROM mfa_totp_factors f
                       WHERE f.user_id = u.id AND f.status = 'active') AS has_active_factor
         FROM users u WHERE u.email = $1`,
      [email],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      userId: row.id,
      status: row.status,
      passwordHash: row.password_hash,
      hasActiveFactor: row.has_active_factor,
    };
  }
}
