import { Inject, Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { ExpiringCache } from '../../common/cache/expiring-cache';
import { issueOpaqueToken, presentedTokenHash } from '../../common/crypto/opaque-token';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { Session } from './session.entity';
import { isSessionLive } from './session-liveness';
import { SessionRepository, UsableRefreshToken } from './session.repository';

/**
 * How long an instance trusts its last look at a session. A session revoked anywhere stops
 * authenticating requests on every instance within this time (the issue's bound is 5 s).
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A login: a new session and its first refresh token, the account's `last_login_at` and the
   * `login` success event, written together.
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
    const session = await this.sessions.insertLogin(
      {
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
    );
    return { session, refreshToken: token, refreshExpiresIn: secondsBetween(now, idleExpiresAt) };
  }

  /**
   * Exchanges a refresh token for the next one of its family: one statement when the token is
   * usable and its account active (the common case). Otherwise the token is examined under a
   * lock to say why not; an already-rotated token is what a replayed stolen token looks like,
   * and ends the family.
   */
  async rotate(presented: string, now = new Date()): Promise<RotationResult> {
    const hash = presentedTokenHash('refresh', presented);
    if (!hash) return { outcome: 'invalid' };
    const next = issueOpaqueToken('refresh');
    const idleSeconds = this.config.tokens.refreshIdleSeconds;
    const rotateIfUsable = () =>
      this.sessions.rotateIfUsable(hash, { tokenHash: next.hash, idleSeconds }, now);
    const rotated = (session: Session): RotationResult => ({
      outcome: 'rotated',
      session,
      refreshToken: next.token,
      refreshExpiresIn: secondsBetween(now, session.idleExpiresAt),
    });
    const session = await rotateIfUsable();
    if (session) return rotated(session);
    const refused = await this.transactions.run(async (): Promise<RotationResult> => {
      const token = await this.sessions.findRefreshTokenForUpdate(hash);
      if (!token) return { outcome: 'invalid' };
      const { session } = token;
      if (session.revokedAt !== null || token.revokedAt !== null) {
        return { outcome: 'revoked', session };
      }
      if (token.rotatedAt !== null) {
        await this.sessions.revoke(
          { userId: session.userId, sessionId: session.id },
          'refresh_token_reuse',
          now,
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
      return reactivated ? rotated(reactivated) : { outcome: 'expired', session };
    });
    if (refused.outcome === 'reused') this.forgetSession(refused.session.id);
    return refused;
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

  /** Ends one session of the user; false when the user has no such live session. */
  async revokeOne(
    userId: string,
    sessionId: string,
    reason: string,
    now = new Date(),
  ): Promise<boolean> {
    const ended = await this.sessions.revoke({ userId, sessionId }, reason, now);
    for (const id of ended) this.forgetSession(id);
    return ended.length > 0;
  }

  /** Ends every session of the user, or every other one. Returns how many ended. */
  async revokeAll(
    userId: string,
    reason: string,
    options: { except?: string; now?: Date } = {},
  ): Promise<number> {
    const ended = await this.sessions.revoke(
      { userId, exceptSessionId: options.except },
      reason,
      options.now ?? new Date(),
    );
    for (const id of ended) this.forgetSession(id);
    return ended.length;
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

  /** This instance judges the session afresh at its next request (it ended, say). */
  forgetSession(sessionId: string): void {
    this.owners.delete(sessionId);
  }

  private idleExpiry(now: Date, absoluteExpiresAt: Date): Date {
    const idle = now.getTime() + this.config.tokens.refreshIdleSeconds * 1000;
    return new Date(Math.min(idle, absoluteExpiresAt.getTime()));
  }
}
