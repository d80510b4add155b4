/**
 * Whether the suite runs on a PostgreSQL server. The embedded PostgreSQL is one session shared
 * by every connection: no lock or snapshot there separates two connections, and LISTEN gets no
 * notification from another connection's NOTIFY. Tests of those run only on a server, which CI
 * always provides (TEST_DATABASE_URL).
 */
export const onServer = Boolean(process.env.GATEHOUSE_TEST_SERVER_URL);

/** A test of what only separate database sessions show (see `onServer`). */
export const itOnServer = onServer ? it : it.skip;
