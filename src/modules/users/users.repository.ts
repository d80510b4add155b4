import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { Transactions } from '../../database/transactions';
import { User } from './user.entity';
import { UserStatus } from './user-status';

const UNIQUE_VIOLATION = '23505';

export type ProfileChanges = Partial<
  Pick<User, 'name' | 'phone' | 'avatarUrl' | 'timezone' | 'locale'>
>;

interface UserRow {
  id: string;
  email: string;
  email_verified_at: Date | null;
  name: string;
  phone: string | null;
  avatar_url: string | null;
  timezone: string | null;
  locale: string | null;
  status: UserStatus;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface ProfileRow extends UserRow {
  pending_email: string | null;
}

/** Every column of `users` but the password hash, which is selected only where it is needed. */
const USER_COLUMNS = `id, email, email_verified_at, name, phone, avatar_url, timezone, locale,
       status, last_login_at, created_at, updated_at`;

function toUser(row: UserRow, passwordHash: string | null = null): User {
  return {
    id: row.id,
    email: row.email,
    emailVerifiedAt: row.email_verified_at,
    passwordHash,
    name: row.name,
    phone: row.phone,
    avatarUrl: row.avatar_url,
    timezone: row.timezone,
    locale: row.locale,
    status: row.status,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

@Injectable()
export class UsersRepository {
  constructor(private readonly transactions: Transactions) {}

  private get users() {
    return this.transactions.manager().getRepository(User);
  }

  /**
   * The user with the address an open email change would switch to, in one round trip: the
   * profile is read on every GET /users/me.
   */
  async findProfile(
    id: string,
    now: Date,
  ): Promise<(User & { pendingEmail: string | null }) | null> {
    const rows = await this.transactions.manager().query<ProfileRow[]>(
      `SELECT ${USER_COLUMNS},
              (SELECT t.new_email FROM email_tokens t
                WHERE t.user_id = u.id AND t.purpose = 'change_email'
                  AND t.consumed_at IS NULL AND t.expires_at > $2
                ORDER BY t.created_at DESC LIMIT 1) AS pending_email
         FROM users u WHERE u.id = $1`,
      [id, now],
    );
    const row = rows[0];
    return row ? { ...toUser(row), pendingEmail: row.pending_email } : null;
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** The user, locked until the transaction ends: for a change computed from what it was. */
  findByIdForUpdate(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Only the status, for callers that need nothing else. */
  async statusOf(id: string): Promise<User['status'] | null> {
    const rows = await this.transactions
      .manager()
      .query<Pick<User, 'status'>[]>('SELECT status FROM users WHERE id = $1', [id]);
    return rows[0]?.status ?? null;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email });
  }

  /** The user and the stored password hash, which is otherwise never selected. */
  async findWithPasswordHash(
    id: string,
  ): Promise<{ user: User; passwordHash: string | null } | null> {
    const rows = await this.transactions.prepared<UserRow & { password_hash: string | null }>(
      'users.find_with_password_hash',
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    return { user: toUser(row, row.password_hash), passwordHash: row.password_hash };
  }

  /**
   * Inserts a user and returns its id; null when the email is already taken, including by a
   * concurrent insert (ON CONFLICT waits for it, then does nothing).
   */
  async insert(
    user: Pick<User, 'email' | 'name' | 'passwordHash' | 'status'> & { id?: string },
  ): Promise<string | null> {
    const result = await this.users
      .createQueryBuilder()
      .insert()
      .values(user)
      .orIgnore()
      .returning(['id'])
      .execute();
    const row = (result.raw as { id: string }[])[0];
    return row?.id ?? null;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash });
  }

  async markEmailVerified(id: string, at: Date): Promise<void> {
    await this.users
      .createQueryBuilder()
      .update()
      .set({
        emailVerifiedAt: at,
        status: () => `CASE WHEN status = 'pending_verification' THEN 'active' ELSE status END`,
      })
      .where({ id })
      .execute();
  }

  /** Switches the address; false when another account holds it. */
  async changeEmail(id: string, email: string, at: Date): Promise<boolean> {
    try {
      await this.users.update({ id }, { email, emailVerifiedAt: at });
      return true;
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        return false;
      }
      throw error;
    }
  }

  /** Moves `last_login_at` forward to each login's time, all in one statement. */
  async recordLogins(logins: { userId: string; at: Date }[]): Promise<void> {
    await this.transactions.prepared(
      'users.record_logins',
      `UPDATE users u SET last_login_at = GREATEST(u.last_login_at, l.at)
         FROM (SELECT id, max(at) AS at FROM unnest($1::uuid[], $2::timestamptz[]) AS x(id, at)
                GROUP BY id) l
        WHERE u.id = l.id`,
      [logins.map((l) => l.userId), logins.map((l) => l.at)],
    );
  }

  async updateProfile(id: string, changes: ProfileChanges): Promise<void> {
    if (Object.keys(changes).length > 0) await this.users.update({ id }, changes);
  }
}
