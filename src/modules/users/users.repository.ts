import { Injectable } from '@nestjs/common';
import { isConstraintViolation } from '../../database/constraint-violations';
import { Transactions } from '../../database/transactions';
import { holdsRole } from '../access/role-holder-statements';
import { linkedToProvider } from '../federation/linked-identity-statements';
import { User } from './user.entity';
import { UserStatus } from './user-status';

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
  deletion_requested_at: Date | null;
  deletion_due_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** What the administrators' search filters by; every field is optional. */
export interface UserSearch {
  /** A prefix of the (lower-cased) address. */
  emailPrefix?: string;
  /** A prefix of the name, compared case-insensitively. */
  namePrefix?: string;
  status?: UserStatus;
  role?: string;
  /** Linked to the identity provider of this slug or id. */
  identityProvider?: string;
  /** `from` inclusive, `to` exclusive. */
  created?: { from?: Date; to?: Date };
  lastLogin?: { from?: Date; to?: Date };
}

export const USER_SORTS = ['created_at', 'email'] as const;
export type UserSort = (typeof USER_SORTS)[number];
export type SortOrder = 'asc' | 'desc';

/** Where a page starts: after the row with this sort key and id. */
export interface UserSearchPosition {
  key: string;
  id: string;
}

/** A user found by a search and the exact sort key (microseconds) a cursor carries. */
export type FoundUser = User & { sortKey: string };

/** `%`, `_` and the escape character itself stand for themselves in a LIKE prefix. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

interface ProfileRow extends UserRow {
  pending_email: string | null;
}

/** Every column of `users` but the password hash, which is selected only where it is needed. */
const USER_COLUMNS = `id, email, email_verified_at, name, phone, avatar_url, timezone, locale,
       status, last_login_at, deletion_requested_at, deletion_due_at, created_at, updated_at`;

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
    deletionRequestedAt: row.deletion_requested_at,
    deletionDueAt: row.deletion_due_at,
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
    return row ? Object.assign(toUser(row), { pendingEmail: row.pending_email }) : null;
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** The user, locked until the transaction ends: for a change computed from what it was. */
  findByIdForUpdate(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * The account, locked against other changes (FOR NO KEY UPDATE) until the transaction ends. A
   * sign-in whose session or challenge row (referencing the account) is being written is not
   * held up, so it cannot deadlock with the erasure: it commits first and the deletion's cascade
   * removes its rows, or it comes after and finds no account.
   */
  lockForErasure(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id }, lock: { mode: 'for_no_key_update' } });
  }

  /** The account's address and every address it asked to change to (its email tokens'). */
  async addressesOf(id: string): Promise<string[]> {
    const rows = await this.transactions.manager().query<{ address: string }[]>(
      `SELECT email AS address FROM users WHERE id = $1
       UNION
       SELECT new_email FROM email_tokens WHERE user_id = $1 AND new_email IS NOT NULL`,
      [id],
    );
    return rows.map((row) => row.address);
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

  /** Proves the address; a pending or invited account (a reset link followed) becomes active. */
  async markEmailVerified(id: string, at: Date): Promise<void> {
    await this.users
      .createQueryBuilder()
      .update()
      .set({
        emailVerifiedAt: at,
        status: () =>
          `CASE WHEN status IN ('pending_verification', 'invited') THEN 'active' ELSE status END`,
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
      if (isConstraintViolation(error, 'unique')) return false;
      throw error;
    }
  }

  /** Moves `last_login_at` forward to each login's time, all in one statement. */
  /**
   * Moves `last_login_at` to each sign-in's time (never back), and cancels the scheduled deletion
   * of an account signed into after it was asked for. Answers the users whose deletion it
   * cancelled. (`old` is the row as the statement found it.)
   */
  async recordLogins(logins: { userId: string; at: Date }[]): Promise<string[]> {
    const rows = await this.transactions.prepared<{ id: string; cancelled: boolean | null }>(
      'users.record_logins',
      `WITH changed AS (
         UPDATE users u SET last_login_at = GREATEST(u.last_login_at, l.at),
                deletion_requested_at = CASE WHEN l.at > u.deletion_requested_at THEN NULL
                                             ELSE u.deletion_requested_at END,
                deletion_due_at = CASE WHEN l.at > u.deletion_requested_at THEN NULL
                                       ELSE u.deletion_due_at END
           FROM (SELECT id, max(at) AS at FROM unnest($1::uuid[], $2::timestamptz[]) AS x(id, at)
                  GROUP BY id) l, users old
          WHERE u.id = l.id AND old.id = u.id
          RETURNING u.id, l.at > old.deletion_requested_at AS cancelled)
       SELECT id, cancelled FROM changed`,
      [logins.map((l) => l.userId), logins.map((l) => l.at)],
    );
    return rows.filter((row) => row.cancelled === true).map((row) => row.id);
  }

  /** Schedules the erasure; the caller holds the row's lock (`findByIdForUpdate`). */
  async scheduleDeletion(id: string, requestedAt: Date, dueAt: Date): Promise<void> {
    await this.users.update({ id }, { deletionRequestedAt: requestedAt, deletionDueAt: dueAt });
  }

  /** Accounts whose grace period ended before `now`, the longest overdue first. */
  async dueForDeletion(now: Date, limit: number): Promise<string[]> {
    const rows = await this.transactions
      .manager()
      .query<{ id: string }[]>(
        'SELECT id FROM users WHERE deletion_due_at <= $1 ORDER BY deletion_due_at LIMIT $2',
        [now, limit],
      );
    return rows.map((row) => row.id);
  }

  /** Deletes the account; every table holding its rows cascades. */
  async delete(id: string): Promise<void> {
    await this.users.delete({ id });
  }

  async updateProfile(id: string, changes: ProfileChanges): Promise<void> {
    if (Object.keys(changes).length > 0) await this.users.update({ id }, changes);
  }

  /** Accounts by id, locked until the transaction ends; in id order, so that two never deadlock. */
  findManyForUpdate(ids: string[]): Promise<User[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.users
      .createQueryBuilder('u')
      .where('u.id IN (:...ids)', { ids })
      .orderBy('u.id', 'ASC')
      .setLock('pessimistic_write')
      .getMany();
  }

  /**
   * Sets the profile fields of many accounts in one statement; a field a row does not name
   * keeps its value. The caller holds the rows' locks (`findManyForUpdate`).
   */
  async updateProfiles(rows: { id: string; changes: ProfileChanges }[]): Promise<void> {
    if (rows.length === 0) return;
    const set = (column: string, field: keyof ProfileChanges) =>
      `${column} = CASE WHEN c.changes ? '${field}' THEN c.changes->>'${field}' ELSE u.${column} END`;
    await this.transactions.manager().query(
      `UPDATE users u
          SET ${set('name', 'name')}, ${set('phone', 'phone')},
              ${set('avatar_url', 'avatarUrl')}, ${set('timezone', 'timezone')},
              ${set('locale', 'locale')}, updated_at = now()
         FROM jsonb_to_recordset($1::jsonb) AS c(id uuid, changes jsonb)
        WHERE u.id = c.id`,
      [JSON.stringify(rows)],
    );
  }

  /**
   * One page of the administrators' search: up to `limit` users matching every given filter,
   * in the order asked, after `after`. Keyset pagination on (sort key, id): each filter and each
   * order is served by an index of `users` (see User).
   */
  async search(
    filter: UserSearch,
    sort: { by: UserSort; order: SortOrder },
    after: UserSearchPosition | null,
    limit: number,
    now: Date,
  ): Promise<FoundUser[]> {
    const parameters: unknown[] = [];
    const param = (value: unknown) => {
      parameters.push(value);
      return `$${parameters.length}`;
    };
    const where: string[] = [];
    if (filter.emailPrefix !== undefined) {
      where.push(`u.email LIKE ${param(likePrefix(filter.emailPrefix.toLowerCase()))}`);
    }
    if (filter.namePrefix !== undefined) {
      where.push(`lower(u.name) LIKE ${param(likePrefix(filter.namePrefix.toLowerCase()))}`);
    }
    if (filter.status !== undefined) where.push(`u.status = ${param(filter.status)}`);
    if (filter.role !== undefined) {
      where.push(holdsRole({ userId: 'u.id', status: 'u.status' }, param(filter.role), param(now)));
    }
    if (filter.identityProvider !== undefined) {
      where.push(linkedToProvider('u.id', param(filter.identityProvider)));
    }
    const range = (column: string, bounds?: { from?: Date; to?: Date }) => {
      if (bounds?.from) where.push(`${column} >= ${param(bounds.from)}`);
      if (bounds?.to) where.push(`${column} < ${param(bounds.to)}`);
    };
    range('u.created_at', filter.created);
    range('u.last_login_at', filter.lastLogin);
    const column = sort.by === 'email' ? 'u.email' : 'u.created_at';
    const direction = sort.order === 'asc' ? 'ASC' : 'DESC';
    if (after) {
      const key = sort.by === 'email' ? param(after.key) : `${param(after.key)}::timestamptz`;
      const comparison = sort.order === 'asc' ? '>' : '<';
      where.push(`(${column}, u.id) ${comparison} (${key}, ${param(after.id)}::uuid)`);
    }
    const sortKey =
      sort.by === 'email'
        ? 'u.email'
        : `to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    const rows = await this.transactions.manager().query<(UserRow & { sort_key: string })[]>(
      `SELECT ${USER_COLUMNS}, ${sortKey} AS sort_key FROM users u
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${column} ${direction}, u.id ${direction}
        LIMIT ${param(limit)}`,
      parameters,
    );
    return rows.map((row) => ({ ...toUser(row), sortKey: row.sort_key }));
  }

  /** Sets the status; the caller holds the row's lock (`findByIdForUpdate`). */
  async setStatus(id: string, status: UserStatus): Promise<void> {
    await this.users.update({ id }, { status });
  }

  /** Removes the password: no password signs in until a new one is chosen. */
  async clearPasswordHash(id: string): Promise<void> {
    await this.users.update({ id }, { passwordHash: null });
  }

  /** An invited account chose its password: it becomes active, its address proven. */
  async activateInvited(id: string, passwordHash: string, at: Date): Promise<boolean> {
    const result = await this.users
      .createQueryBuilder()
      .update()
      .set({ passwordHash, status: 'active', emailVerifiedAt: at })
      .where({ id, status: 'invited' })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
