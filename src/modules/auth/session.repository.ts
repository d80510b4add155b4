import { Injectable } from '@nestjs/common';
import { IsNull, MoreThan, Not } from 'typeorm';
import { Transactions } from '../../database/transactions';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';

/** Sessions and their refresh-token families. */
@Injectable()
export class SessionRepository {
  constructor(private readonly transactions: Transactions) {}

  private get sessions() {
    return this.transactions.manager().getRepository(Session);
  }

  private get refreshTokens() {
    return this.transactions.manager().getRepository(RefreshToken);
  }

  async insertSession(
    session: Pick<
      Session,
      | 'userId'
      | 'ip'
      | 'userAgent'
      | 'amr'
      | 'authTime'
      | 'lastSeenAt'
      | 'idleExpiresAt'
      | 'absoluteExpiresAt'
    >,
  ): Promise<string> {
    const result = await this.sessions.insert(session);
    return (result.identifiers[0] as { id: string }).id;
  }

  async insertRefreshToken(
    token: Pick<RefreshToken, 'sessionId' | 'parentId' | 'tokenHash' | 'expiresAt'>,
  ): Promise<void> {
    await this.refreshTokens.insert(token);
  }

  /**
   * The refresh token with this hash and its session, both locked until the transaction ends:
   * concurrent presentations of one token queue here and see each other's rotation.
   */
  findRefreshTokenForUpdate(
    tokenHash: Buffer,
  ): Promise<(RefreshToken & { session: Session }) | null> {
    return this.refreshTokens
      .createQueryBuilder('rt')
      .innerJoinAndSelect('rt.session', 's')
      .where('rt.tokenHash = :tokenHash', { tokenHash })
      .setLock('pessimistic_write', undefined, ['rt', 's'])
      .getOne() as Promise<(RefreshToken & { session: Session }) | null>;
  }

  async markRotated(id: string, at: Date): Promise<void> {
    await this.refreshTokens.update({ id }, { rotatedAt: at });
  }

  async touch(id: string, lastSeenAt: Date, idleExpiresAt: Date): Promise<void> {
    await this.sessions.update({ id }, { lastSeenAt, idleExpiresAt });
  }

  /** Sessions of the user that can still be used, most recently seen first. */
  findLive(userId: string, now: Date): Promise<Session[]> {
    return this.sessions.find({
      where: {
        userId,
        revokedAt: IsNull(),
        idleExpiresAt: MoreThan(now),
        absoluteExpiresAt: MoreThan(now),
      },
      order: { lastSeenAt: 'DESC' },
    });
  }

  findById(id: string): Promise<Session | null> {
    return this.sessions.findOneBy({ id });
  }

  /**
   * Ends sessions and every refresh token in them, together; returns the ids actually ended. `where`
   * selects one session of a user, or all of them (optionally sparing one).
   */
  async revoke(
    where: { userId: string; sessionId?: string; exceptSessionId?: string },
    reason: string,
    at: Date,
  ): Promise<string[]> {
    return this.transactions.run(async () => {
      const query = this.sessions
        .createQueryBuilder()
        .update()
        .set({ revokedAt: at, revokeReason: reason })
        .where({ userId: where.userId, revokedAt: IsNull() })
        .returning(['id']);
      if (where.sessionId) query.andWhere({ id: where.sessionId });
      if (where.exceptSessionId) query.andWhere({ id: Not(where.exceptSessionId) });
      const result = await query.execute();
      const ids = (result.raw as { id: string }[]).map((r) => r.id);
      if (ids.length > 0) {
        await this.refreshTokens
          .createQueryBuilder()
          .update()
          .set({ revokedAt: at })
          .where('session_id IN (:...ids) AND revoked_at IS NULL', { ids })
          .execute();
      }
      return ids;
    });
  }

  /** The owner of the session if it can still authenticate requests, otherwise null. */
  async liveSessionOwner(id: string, now: Date): Promise<string | null> {
    const session = await this.sessions.findOne({
      select: { userId: true },
      where: {
        id,
        revokedAt: IsNull(),
        idleExpiresAt: MoreThan(now),
        absoluteExpiresAt: MoreThan(now),
      },
    });
    return session?.userId ?? null;
  }
}
