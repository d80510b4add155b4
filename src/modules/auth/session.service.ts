import { Inject, Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { ExpiringCache } from '../../common/cache/expiring-cache';
import { issueOpaqueToken, presentedTokenHash } from '../../common/crypto/opaque-token';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { SESSION_REVOKE_REASONS } from '../events/catalogue/account-events';
import { DomainEvents, EventOrigin } from '../events/domain-events.service';
import { EventOf, OnBroadcast } from '../events/on-event.decorator';
import { invalidCredentials } from './invalid-credentials';
import { Session } from './session.entity';
import { isSessionLive } from './session-liveness';
import { SessionRepository, UsableRefreshToken } from './session.repository';

/**
 * How long an instance trusts its last look at a session: the safety net. A revocation reaches
 * every instance as a `user.session.revoked` event within moments; should that be lost, a
 * session revoked anywhere still stops authenticating requests everywhere within this time.
 */
export const SESSION_STATUS_CACHE_MS = 2000;
const SESSION_STATUS_CACHE_MAX_ENTRIES = 100_000;

export interface StartedSession {
  session: Session;
  refreshToken: string;
  refreshExpiresIn: number;
}

export type RotationResult =
  | { outcome: 'rotated'; session: Session; refreshToken: string; refreshExpiresIn: number }
  | { outcome: 'invalid' }
  | { outcome: 'expired' | 'revoked'; session: Session }
  /** An already-rotated token came back: the whole family has just been revoked. */
  | { outcome: 'reused'; session: Session }
  /** A usable token of an account that is not active (null: no longer exists); not rotated. */
  | { outcome: 'inactive'; session: Session; accountStatus: string | null };

export type SessionRevokeReason = (typeof SESSION_REVOKE_REASONS)[number];

function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, Math.floor((to.getTime() - from.getTime()) / 1000));
}

/** Sessions (logins) and the rotation of their refresh tokens. */
@Injectable()
export class SessionService {
  /** Each session's owner while it is live, null once it is not: see `isLive`. */
  private readonly owners = new ExpiringCache<string, string | null>({
    ttlMs: SESSION_STATUS_CACHE_MS,
    maxEntries: SESSION_STATUS_CACHE_MAX_ENTRIES,
    whenFull: 'clear',
  });

  constructor(
    private readonly sessions: SessionRepository,
    private readonly transactions: Transactions,
    private readonly events: DomainEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A login: a new session, its first refresh token and its `user.session.created` event,
   * written in one statement (login is a hot path: one round trip for its writes).
   */
  async start(
    userId: string,
    login: { amr: string[]; authTime: Date },
    client: ClientInfo,
    now = new Date(),
  ): Promise<StartedSession> {
    const absoluteExpiresAt = new Date(
      now.getTime() + this.config.tokens.refreshAbsoluteSeconds * 1000,
    );
    const idleExpiresAt = this.idleExpiry(now, absoluteExpiresAt);
    const { token, hash } = issueOpaqueToken('refresh');
    const id = uuidV7();
    const event = this.events.prepare(
      'user.session.created',
      { user_id: userId, session_id: id, amr: login.amr, auth_time: login.authTime.toISOString() },
      { client },
    );
    const session = await this.sessions.insertLogin(
      {
        id,
        userId,
        ip: client.ip,
        userAgent: client.userAgent,
        amr: login.amr,
        authTime: login.authTime,
        lastSeenAt: now,
        idleExpiresAt,
        absoluteExpiresAt,
      },
      hash,
      event,
    );
    if (!session) {
      // Erased since its password (and code) were checked: as for an unknown account.
      throw invalidCredentials();
    }
    await this.events.written([event]);
    return { session, refreshToken: token, refreshExpiresIn: secondsBetween(now, idleExpiresAt) };
  }

  /**
   * Exchanges a refresh token for the next one of its family: one statement when the token is
   * usable and its account active (the common case). Otherwise the token is examined under a
   * lock to say why not; an already-rotated token is what a replayed stolen token looks like,
   * and ends the family.
   */
  async rotate(presented: string, client: ClientInfo, now = new Date()): Promise<RotationResult> {
    const hash = presentedTokenHash('refresh', presented);
    if (!hash) return { outcome: 'invalid' };
    const next = issueOpaqueToken('refresh');
    const idleSeconds = this.config.tokens.refreshIdleSeconds;
    const origin = { client };
    // The event's payload comes from the rows the statement rotates.
    const event = this.events.prepareFromStatement('user.session.refreshed', origin);
    const rotateIfUsable = () =>
      this.sessions.rotateIfUsable(hash, { tokenHash: next.hash, idleSeconds }, now, event);
    const rotated = async (session: Session): Promise<RotationResult> => {
      await this.events.written([
        event.complete({ user_id: session.userId, session_id: session.id }),
      ]);
      return {
        outcome: 'rotated',
        session,
        refreshToken: next.token,
        refreshExpiresIn: secondsBetween(now, session.idleExpiresAt),
      };
    };
    const session = await rotateIfUsable();
    if (session) return rotated(session);
    type Examined =
      Exclude<RotationResult, { outcome: 'rotated' }> | { outcome: 'rotated'; session: Session };
    const refused = await this.transactions.run(async (): Promise<Examined> => {
      const token = await this.sessions.findRefreshTokenForUpdate(hash);
      if (!token) return { outcome: 'invalid' };
      const { session } = token;
      if (session.revokedAt !== null || token.revokedAt !== null) {
        return { outcome: 'revoked', session };
      }
      if (token.rotatedAt !== null) {
        await this.revokeOne(session.userId, session.id, 'refresh_token_reuse', origin, { now });
        await this.events.emit(
          'user.session.refresh_reused',
          { user_id: session.userId, session_id: session.id },
          origin,
        );
        return { outcome: 'reused', session };
      }
      // Not revoked (above), so a session that is not live has expired.
      if (token.expiresAt.getTime() <= now.getTime() || !isSessionLive(session, now)) {
        return { outcome: 'expired', session };
      }
      if (token.accountStatus !== 'active') {
        return { outcome: 'inactive', session, accountStatus: token.accountStatus };
      }
      // Usable after all: the account became active again since the first attempt. The rows
      // are ours until the transaction ends, so this rotation cannot fail for a new reason.
      const reactivated = await rotateIfUsable();
      return reactivated
        ? { outcome: 'rotated', session: reactivated }
        : { outcome: 'expired', session };
    });
    return refused.outcome === 'rotated' ? rotated(refused.session) : refused;
  }

  /** The refresh token if it could be exchanged now (for introspection); null otherwise. */
  describeRefreshToken(presented: string, now = new Date()): Promise<UsableRefreshToken | null> {
    const hash = presentedTokenHash('refresh', presented);
    return hash ? this.sessions.findUsableRefreshToken(hash, now) : Promise.resolve(null);
  }

  listLive(userId: string, now = new Date()): Promise<Session[]> {
    return this.sessions.findLive(userId, now);
  }

  /** Records a step-up in a live session of the user; null when it is no longer live. */
  reauthenticate(
    userId: string,
    sessionId: string,
    login: { amr: string[]; authTime: Date },
    now = new Date(),
  ): Promise<Session | null> {
    return this.sessions.reauthenticate({ userId, sessionId }, login, now);
  }

  /**
   * Ends one session of the user; false when the user has no such session left to end.
   * `bySessionId`: the session of the user that asked (a logout ends the one it comes from).
   */
  async revokeOne(
    userId: string,
    sessionId: string,
    reason: SessionRevokeReason,
    origin: EventOrigin,
    options: { bySessionId?: string; now?: Date } = {},
  ): Promise<boolean> {
    return (await this.revoke({ userId, sessionId }, reason, origin, options)) > 0;
  }

  /** Ends every session of the user, or every other one. Returns how many ended. */
  revokeAll(
    userId: string,
    reason: SessionRevokeReason,
    origin: EventOrigin,
    options: { except?: string; bySessionId?: string; now?: Date } = {},
  ): Promise<number> {
    return this.revoke({ userId, exceptSessionId: options.except }, reason, origin, options);
  }

  private revoke(
    where: { userId: string; sessionId?: string; exceptSessionId?: string },
    reason: SessionRevokeReason,
    origin: EventOrigin,
    options: { bySessionId?: string; now?: Date },
  ): Promise<number> {
    return this.transactions.run(async () => {
      const ended = await this.sessions.revoke(where, reason, options.now ?? new Date());
      if (ended.length > 0) {
        await this.events.emit(
          'user.session.revoked',
          {
            user_id: where.userId,
            session_ids: ended,
            reason,
            by_session_id: options.bySessionId ?? null,
          },
          origin,
        );
      }
      return ended.length;
    });
  }

  /**
   * Whether a session of this user still authenticates requests. Answers from a short
   * per-instance cache (requests that miss it together share one read), so a revocation made
   * elsewhere takes effect here within SESSION_STATUS_CACHE_MS.
   */
  async isLive(sessionId: string, userId: string): Promise<boolean> {
    const owner = await this.owners.getOrLoad(sessionId, () =>
      this.sessions.liveSessionOwner(sessionId, new Date()),
    );
    return owner === userId;
  }

  /** Ended sessions stop authenticating requests on this instance at once. */
  @OnBroadcast('user.session.revoked')
  forgetRevoked(event: EventOf<'user.session.revoked'>): void {
    for (const id of event.data.session_ids) this.owners.delete(id);
  }

  private idleExpiry(now: Date, absoluteExpiresAt: Date): Date {
    const idle = now.getTime() + this.config.tokens.refreshIdleSeconds * 1000;
    return new Date(Math.min(idle, absoluteExpiresAt.getTime()));
  }
}
