import type { Session } from './session.entity';

/*
 * The one definition of a live session, the kind that authenticates requests and whose refresh
 * token can be exchanged: not revoked, and neither its idle nor its absolute expiry reached.
 * Every query that asks whether a session is live puts `liveSession` in its WHERE clause, and
 * code that judges a session it holds calls `isSessionLive`; the two say the same thing, and
 * nothing else decides it.
 */

/** The SQL condition that the session row `alias` is live at the timestamptz `at` ($n). */
export function liveSession(alias: string, at: string): string {
  return (
    `${alias}.revoked_at IS NULL AND ${alias}.idle_expires_at > ${at} ` +
    `AND ${alias}.absolute_expires_at > ${at}`
  );
}

/** Whether a session read from the database is live at `at`; see `liveSession`. */
export function isSessionLive(
  session: Pick<Session, 'revokedAt' | 'idleExpiresAt' | 'absoluteExpiresAt'>,
  at: Date,
): boolean {
  const atMs = at.getTime();
  return (
    session.revokedAt === null &&
    session.idleExpiresAt.getTime() > atMs &&
    session.absoluteExpiresAt.getTime() > atMs
  );
}
