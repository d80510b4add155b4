import { Injectable } from '@nestjs/common';
import { In, QueryFailedError } from 'typeorm';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';
import { CredentialField, TradingAccountCredential } from './trading-account-credential.entity';
import { TradingAccountLink } from './trading-account-link.entity';
import { MemberRole, TradingAccountMember } from './trading-account-member.entity';
import {
  Broker,
  BrokerAppKind,
  BrokerProfile,
  TradingAccount,
  TradingAccountStatus,
} from './trading-account.entity';

const FOREIGN_KEY_VIOLATION = '23503';

/** A link consumed by its callback: who started it and with which app. */
export interface ConsumedLink {
  id: string;
  userId: string;
  app: BrokerAppKind;
  apiKeySealed: string | null;
  apiSecretSealed: string | null;
}

export interface LinkedAccountFields {
  ownerId: string;
  broker: Broker;
  brokerUserId: string;
  app: BrokerAppKind;
  displayName: string;
  profile: BrokerProfile;
  tokenExpiresAt: Date;
  at: Date;
}

/** An account as one user sees it: with their relation to it. */
export interface AccountWithRole {
  account: TradingAccount;
  /** `owner`, an active member's role, or null for an invitation not yet accepted. */
  role: 'owner' | MemberRole;
}

/** Trading accounts, their sealed credentials, links in progress and memberships. */
@Injectable()
export class TradingAccountsRepository {
  constructor(private readonly transactions: Transactions) {}

  private get accounts() {
    return this.transactions.manager().getRepository(TradingAccount);
  }

  private get credentials() {
    return this.transactions.manager().getRepository(TradingAccountCredential);
  }

  private get links() {
    return this.transactions.manager().getRepository(TradingAccountLink);
  }

  private get members() {
    return this.transactions.manager().getRepository(TradingAccountMember);
  }

  async insertLink(link: Omit<TradingAccountLink, 'createdAt' | 'consumedAt'>): Promise<void> {
    await this.links.insert(link);
  }

  /** Marks a live link used and answers it; null when unknown, used or expired (once only). */
  async consumeLink(id: string, now: Date): Promise<ConsumedLink | null> {
    const rows = await this.transactions.manager().query<
      {
        id: string;
        user_id: string;
        app: BrokerAppKind;
        api_key_sealed: string | null;
        api_secret_sealed: string | null;
      }[]
    >(
      `WITH consumed AS (
         UPDATE trading_account_links SET consumed_at = $2
          WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2
          RETURNING id, user_id, app, api_key_sealed, api_secret_sealed)
       SELECT * FROM consumed`,
      [id, now],
    );
    const [row] = rows;
    return row
      ? {
          id: row.id,
          userId: row.user_id,
          app: row.app,
          apiKeySealed: row.api_key_sealed,
          apiSecretSealed: row.api_secret_sealed,
        }
      : null;
  }

  /**
   * The account of this broker user, created if new, locked until the transaction ends either
   * way: two links of one broker user at once end in one row, the second updating it.
   */
  async lockOrCreate(
    fields: LinkedAccountFields,
  ): Promise<{ account: TradingAccount; created: boolean }> {
    const inserted = await this.transactions.manager().query<{ id: string }[]>(
      `INSERT INTO trading_accounts
         (owner_id, broker, broker_user_id, app, display_name, status, profile, token_expires_at,
          linked_at, synced_at)
       VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $8)
       ON CONFLICT (broker, broker_user_id) DO NOTHING
       RETURNING id`,
      [
        fields.ownerId,
        fields.broker,
        fields.brokerUserId,
        fields.app,
        fields.displayName,
        JSON.stringify(fields.profile),
        fields.tokenExpiresAt,
        fields.at,
      ],
    );
    const account = await this.accounts
      .createQueryBuilder('a')
      .where('a.broker = :broker AND a.brokerUserId = :brokerUserId', fields)
      .setLock('pessimistic_write')
      .getOneOrFail();
    return { account, created: inserted.length > 0 };
  }

  /** A new session for an existing account: active again, with the broker's latest profile. */
  async relink(id: string, fields: LinkedAccountFields): Promise<void> {
    await this.accounts.update(id, {
      app: fields.app,
      status: 'active',
      statusReason: null,
      profile: fields.profile,
      tokenExpiresAt: fields.tokenExpiresAt,
      linkedAt: fields.at,
      syncedAt: fields.at,
    });
  }

  /** Replaces the account's credentials with these sealed ones (others are removed). */
  async replaceCredentials(
    accountId: string,
    sealed: { field: CredentialField; envelope: string; keyId: string }[],
  ): Promise<void> {
    await this.credentials.delete({ accountId });
    await this.credentials.insert(sealed.map((s) => ({ accountId, ...s })));
  }

  /** The sealed credentials asked for, by field. */
  async sealedCredentials(
    accountId: string,
    fields: CredentialField[],
  ): Promise<Map<CredentialField, string>> {
    const rows = await this.credentials
      .createQueryBuilder('c')
      .select(['c.field', 'c.envelope'])
      .where({ accountId, field: In(fields) })
      .getMany();
    return new Map(rows.map((row) => [row.field, row.envelope]));
  }

  findById(id: string): Promise<TradingAccount | null> {
    return this.accounts.findOneBy({ id });
  }

  lockById(id: string): Promise<TradingAccount | null> {
    return this.accounts
      .createQueryBuilder('a')
      .where('a.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
  }

  /** The account and the user's relation to it, when they own it or are an active member. */
  async visibleTo(id: string, userId: string): Promise<AccountWithRole | null> {
    const account = await this.accounts.findOneBy({ id });
    if (!account) return null;
    if (account.ownerId === userId) return { account, role: 'owner' };
    const member = await this.members.findOneBy({ accountId: id, userId, status: 'active' });
    return member ? { account, role: member.role } : null;
  }

  /** The accounts a user owns or is an active member of, by id, after `afterId`. */
  async listVisible(
    userId: string,
    afterId: string | null,
    limit: number,
  ): Promise<AccountWithRole[]> {
    const rows = await this.transactions.manager().query<{ id: string; role: string }[]>(
      `SELECT a.id, CASE WHEN a.owner_id = $1 THEN 'owner' ELSE m.role END AS role
         FROM trading_accounts a
         LEFT JOIN trading_account_members m
           ON m.account_id = a.id AND m.user_id = $1 AND m.status = 'active'
        WHERE (a.owner_id = $1 OR m.user_id IS NOT NULL) AND ($2::uuid IS NULL OR a.id > $2)
        ORDER BY a.id LIMIT $3`,
      [userId, afterId, limit],
    );
    if (rows.length === 0) return [];
    const accounts = await this.accounts.findBy({ id: In(rows.map((r) => r.id)) });
    const byId = new Map(accounts.map((a) => [a.id, a]));
    return rows.map((row) => ({
      account: byId.get(row.id)!,
      role: row.role as AccountWithRole['role'],
    }));
  }

  async updateDisplayName(id: string, displayName: string): Promise<void> {
    await this.accounts.update(id, { displayName });
  }

  async setStatus(id: string, status: TradingAccountStatus, reason: string | null): Promise<void> {
    await this.accounts.update(id, { status, statusReason: reason });
  }

  async saveSync(id: string, profile: BrokerProfile, at: Date): Promise<void> {
    await this.accounts.update(id, { profile, syncedAt: at });
  }

  async setOwner(id: string, ownerId: string): Promise<void> {
    await this.accounts.update(id, { ownerId });
  }

  /** Deletes the account with its credentials and memberships. */
  async delete(id: string): Promise<void> {
    await this.accounts.delete(id);
  }

  /**
   * Active accounts whose session has ended by the clock (06:00 IST), locked and skipped by a
   * concurrent run.
   */
  lockExpiredSessions(now: Date, limit: number): Promise<TradingAccount[]> {
    return this.accounts
      .createQueryBuilder('a')
      .where(`a.status = 'active' AND a.tokenExpiresAt <= :now`, { now })
      .orderBy('a.tokenExpiresAt')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
  }

  /** Ids of active accounts synced before `before`, the longest unsynced first. */
  async dueForSync(before: Date, limit: number): Promise<string[]> {
    const rows = await this.accounts
      .createQueryBuilder('a')
      .select('a.id', 'id')
      .where(`a.status = 'active' AND a.syncedAt < :before`, { before })
      .orderBy('a.syncedAt')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Users with an active membership and their role, for decisions. */
  async activeMembers(accountId: string): Promise<Map<string, MemberRole>> {
    const rows = await this.members.findBy({ accountId, status: 'active' });
    return new Map(rows.map((row) => [row.userId, row.role]));
  }

  listMembers(accountId: string): Promise<TradingAccountMember[]> {
    return this.members.find({ where: { accountId }, order: { createdAt: 'ASC', userId: 'ASC' } });
  }

  findMember(accountId: string, userId: string): Promise<TradingAccountMember | null> {
    return this.members.findOneBy({ accountId, userId });
  }

  /**
   * Inserts an invitation (in the open transaction): `exists` when the user already is a
   * member or invited, `no_user` when there is no such user.
   */
  async insertInvitation(
    accountId: string,
    userId: string,
    role: MemberRole,
    invitedBy: string,
  ): Promise<'inserted' | 'exists' | 'no_user'> {
    try {
      const rows = await this.transactions.savepoint(() =>
        this.transactions.manager().query<unknown[]>(
          `INSERT INTO trading_account_members (account_id, user_id, role, status, invited_by)
           VALUES ($1, $2, $3, 'invited', $4) ON CONFLICT DO NOTHING RETURNING user_id`,
          [accountId, userId, role, invitedBy],
        ),
      );
      return rows.length > 0 ? 'inserted' : 'exists';
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === FOREIGN_KEY_VIOLATION
      ) {
        return 'no_user';
      }
      throw error;
    }
  }

  /** Accepts a pending invitation; its role, or null when there was none. */
  async acceptInvitation(accountId: string, userId: string, at: Date): Promise<MemberRole | null> {
    const rows = await this.transactions.manager().query<{ role: MemberRole }[]>(
      `WITH accepted AS (
         UPDATE trading_account_members SET status = 'active', accepted_at = $3
          WHERE account_id = $1 AND user_id = $2 AND status = 'invited' RETURNING role)
       SELECT role FROM accepted`,
      [accountId, userId, at],
    );
    return rows[0]?.role ?? null;
  }

  async setMemberRole(accountId: string, userId: string, role: MemberRole): Promise<void> {
    await this.members.update({ accountId, userId }, { role });
  }

  /** Removes a membership or invitation; the removed row, or null when there was none. */
  async removeMember(accountId: string, userId: string): Promise<TradingAccountMember | null> {
    const member = await this.members.findOneBy({ accountId, userId });
    if (!member) return null;
    await this.members.delete({ accountId, userId });
    return member;
  }

  /** Invitations waiting for the user's answer. */
  invitationsOf(userId: string): Promise<TradingAccountMember[]> {
    return this.members.find({
      where: { userId, status: 'invited' },
      order: { createdAt: 'ASC' },
    });
  }

  /** The accounts a user owns and their memberships of others', without any credential. */
  async personalDataOf(userId: string): Promise<{
    owned: TradingAccount[];
    memberships: TradingAccountMember[];
  }> {
    return {
      owned: await this.accounts.find({ where: { ownerId: userId }, order: { id: 'ASC' } }),
      memberships: await this.members.find({ where: { userId }, order: { createdAt: 'ASC' } }),
    };
  }

  /** Links past their expiry (consumed or not), kept a day for diagnosis; never usable again. */
  @PurgesExpired({ kind: 'trading_account_links', retentionDays: () => 1 })
  async purgeLinks(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<unknown[]>(
      `WITH purged AS (
         DELETE FROM trading_account_links WHERE id IN (
           SELECT id FROM trading_account_links WHERE expires_at < $1
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id)
       SELECT id FROM purged`,
      [before, limit],
    );
    return rows.length;
  }
}
