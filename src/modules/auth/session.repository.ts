import { Injectable } from '@nestjs/common';
import { IsNull, Not } from 'typeorm';
import { isConstraintViolation } from '../../database/constraint-violations';
import { Transactions } from '../../database/transactions';
import { DomainEvent } from '../events/domain-event';
import { EventShell } from '../events/domain-events.service';
import { outboxInsert, outboxInsertFrom } from '../events/outbox-statements';
import { PurgesExpired } from '../retention/retention-purge.decorator';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';
import { liveSession } from './session-liveness';

interface SessionRow {
  id: string;
  user_id: string;
  ip: string | null;
  user_agent: string | null;
  amr: string[];
  auth_time: Date;
  created_at: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  revoke_reason: string | null;
}

interface TokenColumns {
  token_id: string;
  token_expires_at: Date;
  token_rotated_at: Date | null;
  token_revoked_at: Date | null;
  account_status: string | null;
}

export type LockedRefreshToken = Pick<
  RefreshToken,
  'id' | 'expiresAt' | 'rotatedAt' | 'revokedAt'
> & {
  session: Session;
  /** The status of the session's account (null if there is no such account), not locked. */
  accountStatus: string | null;
};

export interface UsableRefreshToken {
  userId: string;
  sessionId: string;
  createdAt: Date;
  expiresAt: Date;
}

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: row.user_id,
    ip: row.ip,
    userAgent: row.user_agent,
    amr: row.amr,
    authTime: row.auth_time,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    idleExpiresAt: row.idle_expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
  };
}

/**
 * The CTEs `session` and `token`: the session of the refresh token whose hash is $1 and the
 * token itself, each reached by a key alone and locked FOR UPDATE, the session first (the
 * token's row passes its filter only once the session is locked): the order in which `revoke`
 * locks a session and then its tokens, so that a revocation and a rotation never deadlock.
 *
 * Whether the token is usable is judged on these rows, never in the lookups. Without column
 * statistics (a new database, or tables autovacuum has not analyzed yet) the planner takes
 * `rotated_at IS NULL AND revoked_at IS NULL` or `status = 'active'` to be as selective as the
 * unique hash; with those conditions in the lookup it started from the users, walked every live
 * session and scanned the one-live-token index, whose entries for rotated tokens stay until a
 * vacuum, so each rotation read every token rotated before it and refresh slowed down with
 * every run. A lookup by hash or by id alone can only take the unique index.
 */
const LOCK_PRESENTED_TOKEN = `session AS MATERIALIZED (
         SELECT s.* FROM sessions s
          WHERE s.id = (SELECT rt.session_id FROM refresh_tokens rt WHERE rt.token_hash = $1)
            FOR UPDATE
       ), token AS MATERIALIZED (
         SELECT rt.id, rt.session_id, rt.expires_at, rt.rotated_at, rt.revoked_at
           FROM refresh_tokens rt
          WHERE rt.token_hash = $1 AND rt.session_id = (SELECT id FROM session)
            FOR UPDATE
       )`;

/** Sessions and their refresh-token families. */
@Injectable()
export class SessionRepository {
  constructor(private readonly transactions: Transactions) {}

  private query<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    return this.transactions.manager().query<T[]>(sql, parameters);
  }

  private prepared<T extends object>(name: string, sql: string, parameters: unknown[]) {
    return this.transactions.prepared<T>(name, sql, parameters);
  }

  private get sessions() {
    return this.transactions.manager().getRepository(Session);
  }

  private get refreshTokens() {
    return this.transactions.manager().getRepository(RefreshToken);
  }

  /**
   * A login: a new session, the first refresh token of its family and the session's
   * `user.session.created` event, in one statement (atomic without a transaction around it).
   * Login and refresh are the hot paths: their writes are plain SQL, one round trip each,
   * because each round trip costs a login more CPU than the write itself, CPU its argon2
   * verification then lacks. What follows from a login elsewhere (`last_login_at`, the auth
   * event) is done by the event's consumers.
   */
  async insertLogin(
    session: Pick<
      Session,
      | 'id'
      | 'userId'
      | 'ip'
      | 'userAgent'
      | 'amr'
      | 'authTime'
      | 'lastSeenAt'
      | 'idleExpiresAt'
      | 'absoluteExpiresAt'
    >,
    tokenHash: Buffer,
    event: DomainEvent<'user.session.created'>,
  ): Promise<Session | null> {
    const outbox = outboxInsert(event, 11);
    let rows: SessionRow[];
    try {
      rows = await this.prepared<SessionRow>(
        'sessions.insert_login',
        `WITH s AS (
         INSERT INTO sessions (id, user_id, ip, user_agent, amr, auth_time, last_seen_at,
                               idle_expires_at, absolute_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING *
       ), t AS (
         INSERT INTO refresh_tokens (session_id, token_hash, expires_at)
         SELECT id, $10, idle_expires_at FROM s
       ), e AS (
         ${outbox.sql}
       )
       SELECT * FROM s`,
        [
          session.id,
          session.userId,
          session.ip,
          session.userAgent,
          session.amr,
          session.authTime,
          session.lastSeenAt,
          session.idleExpiresAt,
          session.absoluteExpiresAt,
          tokenHash,
          ...outbox.values,
        ],
      );
    } catch (error) {
      // The account was erased since its password was checked.
      if (isConstraintViolation(error, 'foreign_key')) return null;
      throw error;
    }
    return toSession(rows[0]);
  }

  /**
   * The refresh token with this hash and its session, both locked until the transaction ends:
   * concurrent presentations of one token queue here and see each other's rotation.
   */
  async findRefreshTokenForUpdate(tokenHash: Buffer): Promise<LockedRefreshToken | null> {
    const rows = await this.query<SessionRow & TokenColumns>(
      `WITH ${LOCK_PRESENTED_TOKEN}
       SELECT token.id AS token_id, token.expires_at AS token_expires_at,
              token.rotated_at AS token_rotated_at, token.revoked_at AS token_revoked_at,
              (SELECT u.status FROM users u WHERE u.id = session.user_id) AS account_status,
              session.*
         FROM session JOIN token ON token.session_id = session.id`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.token_id,
      expiresAt: row.token_expires_at,
      rotatedAt: row.token_rotated_at,
      revokedAt: row.token_revoked_at,
      session: toSession(row),
      accountStatus: row.account_status,
    };
  }

  /**
   * Rotates a usable token of an active account in one statement, without a transaction
   * around it: the session and then the token are locked, the token marked rotated, its
   * successor inserted (after it, through the data dependency, so the one-live-token index never
   * sees two), the session's idle expiry moved on and its `user.session.refreshed` event
   * written. Null when the token is not usable now (unknown, rotated, revoked or expired) or
   * its account is not active. A concurrent rotation of the same token waits for the locks,
   * then finds the token rotated and gets null, so of N concurrent presentations exactly one
   * rotates. The account's status is read here rather
   * than by the users module in a statement of its own: refresh is the hottest write path,
   * and each round trip costs more CPU than the read itself.
   *
   * Each row is reached by a key alone (the token by its hash, the session and the account by
   * id) and judged only once read: see LOCK_PRESENTED_TOKEN for why.
   */
  async rotateIfUsable(
    tokenHash: Buffer,
    next: { tokenHash: Buffer; idleSeconds: number },
    at: Date,
    event: EventShell<'user.session.refreshed'>,
  ): Promise<Session | null> {
    const outbox = outboxInsertFrom(event, 5, {
      from: 'touched',
      userId: 'touched.user_id',
      data: `jsonb_build_object('user_id', touched.user_id, 'session_id', touched.id)`,
    });
    const rows = await this.prepared<SessionRow>(
      'sessions.rotate_if_usable',
      `WITH ${LOCK_PRESENTED_TOKEN}, target AS (
         SELECT token.id, session.id AS session_id,
                LEAST($2::timestamptz + make_interval(secs => $3), session.absolute_expires_at)
                  AS idle_expires_at
           FROM session JOIN token ON token.session_id = session.id
          WHERE token.rotated_at IS NULL AND token.revoked_at IS NULL AND token.expires_at > $2
            AND ${liveSession('session', '$2')}
            AND (SELECT u.status FROM users u WHERE u.id = session.user_id) = 'active'
       ), rotated AS (
         UPDATE refresh_tokens rt SET rotated_at = $2
          WHERE rt.id = (SELECT id FROM target)
         RETURNING rt.id, rt.session_id
       ), child AS (
         INSERT INTO refresh_tokens (session_id, parent_id, token_hash, expires_at)
         SELECT rotated.session_id, rotated.id, $4, target.idle_expires_at FROM rotated, target
         RETURNING session_id, expires_at
       ), touched AS (
         UPDATE sessions s SET last_seen_at = $2, idle_expires_at = child.expires_at
           FROM child WHERE s.id = (SELECT session_id FROM target)
         RETURNING s.*
       ), e AS (
         ${outbox.sql}
       )
       SELECT * FROM touched`,
      [tokenHash, at, next.idleSeconds, next.tokenHash, ...outbox.values],
    );
    return rows[0] ? toSession(rows[0]) : null;
  }

  /** Sessions of the user that can still be used, most recently seen first. */
  async findLive(userId: string, now: Date): Promise<Session[]> {
    const rows = await this.query<SessionRow>(
      `SELECT s.* FROM sessions s
        WHERE s.user_id = $1 AND ${liveSession('s', '$2')}
        ORDER BY s.last_seen_at DESC`,
      [userId, now],
    );
    return rows.map(toSession);
  }

  /** Every session of the user still kept, live or ended, newest first (their data export). */
  async findAllOf(userId: string): Promise<Session[]> {
    const rows = await this.query<SessionRow>(
      'SELECT s.* FROM sessions s WHERE s.user_id = $1 ORDER BY s.created_at DESC',
      [userId],
    );
    return rows.map(toSession);
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

  /**
   * A refresh token that could be exchanged at `now` (neither rotated, revoked nor expired, its
   * session live), with its session's ids; null otherwise. Reads only: looking at a token is
   * not using it.
   */
  async findUsableRefreshToken(tokenHash: Buffer, now: Date): Promise<UsableRefreshToken | null> {
    // Looked up by key alone and judged after, as in LOCK_PRESENTED_TOKEN.
    const [row] = await this.query<{
      user_id: string;
      session_id: string;
      created_at: Date;
      expires_at: Date;
    }>(
      `WITH token AS MATERIALIZED (
         SELECT rt.session_id, rt.created_at, rt.expires_at, rt.rotated_at, rt.revoked_at
           FROM refresh_tokens rt WHERE rt.token_hash = $1
       ), session AS MATERIALIZED (
         SELECT s.id, s.user_id, s.revoked_at, s.idle_expires_at, s.absolute_expires_at
           FROM sessions s WHERE s.id = (SELECT session_id FROM token)
       )
       SELECT session.user_id, session.id AS session_id, token.created_at, token.expires_at
         FROM token JOIN session ON session.id = token.session_id
        WHERE token.rotated_at IS NULL AND token.revoked_at IS NULL AND token.expires_at > $2
          AND ${liveSession('session', '$2')}`,
      [tokenHash, now],
    );
    return row
      ? {
          userId: row.user_id,
          sessionId: row.session_id,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
        }
      : null;
  }

  /**
   * Records a new authentication in a live session of the user (step-up): its methods and time,
   * which its later access tokens carry. Null when the session is no longer live.
   */
  async reauthenticate(
    where: { userId: string; sessionId: string },
    login: { amr: string[]; authTime: Date },
    now: Date,
  ): Promise<Session | null> {
    const rows = await this.query<SessionRow>(
      `WITH updated AS (
         UPDATE sessions s SET amr = $3, auth_time = $4
          WHERE s.id = $1 AND s.user_id = $2 AND ${liveSession('s', '$5')}
         RETURNING s.*
       )
       SELECT * FROM updated`,
      [where.sessionId, where.userId, login.amr, login.authTime, now],
    );
    return rows[0] ? toSession(rows[0]) : null;
  }

  /**
   * Purges sessions that ended (revoked, or their idle or absolute expiry reached: whichever came
   * first) before `before`, with their refresh tokens. Up to `limit` of them are taken in the
   * order they ended (IDX_sessions_ended_at) and locked, skipping any another transaction holds;
   * then up to `limit` of their tokens are deleted, then those of them left without tokens. A
   * family larger than a batch is finished by the next batches (its session comes first again).
   * Answers the sessions and tokens deleted. An ended session never becomes live again, so
   * nothing else writes these rows: a refresh presenting one of their tokens finds it gone.
   */
  @PurgesExpired({ kind: 'sessions', retentionDays: (config) => config.retention.sessionsDays })
  async purgeEnded(before: Date, limit: number): Promise<number> {
    return this.transactions.run(async () => {
      const sessions = await this.query<{ id: string }>(
        `SELECT s.id FROM sessions s
          WHERE LEAST(s.revoked_at, s.idle_expires_at, s.absolute_expires_at) < $1
          ORDER BY LEAST(s.revoked_at, s.idle_expires_at, s.absolute_expires_at)
          LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [before, limit],
      );
      if (sessions.length === 0) return 0;
      const ids = sessions.map((s) => s.id);
      const tokens = await this.query<{ id: string }>(
        `WITH gone AS (
           DELETE FROM refresh_tokens WHERE id IN (
             SELECT rt.id FROM refresh_tokens rt WHERE rt.session_id = ANY($1) LIMIT $2
           ) RETURNING id
         )
         SELECT id FROM gone`,
        [ids, limit],
      );
      const ended = await this.query<{ id: string }>(
        `WITH gone AS (
           DELETE FROM sessions s WHERE s.id = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM refresh_tokens rt WHERE rt.session_id = s.id)
           RETURNING s.id
         )
         SELECT id FROM gone`,
        [ids],
      );
      return tokens.length + ended.length;
    });
  }

  /** The owner of the session if it can still authenticate requests, otherwise null. */
  async liveSessionOwner(id: string, now: Date): Promise<string | null> {
    const [row] = await this.query<{ user_id: string }>(
      `SELECT s.user_id FROM sessions s WHERE s.id = $1 AND ${liveSession('s', '$2')}`,
      [id, now],
    );
    return row?.user_id ?? null;
  }
}
