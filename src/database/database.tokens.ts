/**
 * The embedded database's PGlite instance when Gatehouse runs on it (null on a PostgreSQL
 * server): for the one user that must not go through its socket, the job queue.
 */
export const EMBEDDED_DATABASE = Symbol('EMBEDDED_DATABASE');
