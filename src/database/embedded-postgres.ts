import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Parse, Bind, Describe, Execute, Close, Flush: an extended-protocol batch goes on until Sync. */
const BATCH_CONTINUES = new Set([...'PBDECH'].map((c) => c.charCodeAt(0)));

/** A simple-protocol Query message carrying `sql`. */
function queryMessage(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0, 'latin1');
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

/** PGlite's own lock on its one session, which `query` and `exec` take for each statement. */
type SessionLock = { _runExclusiveTransaction<T>(work: () => Promise<T>): Promise<T> };

/**
 * The socket server shares PGlite's one backend between its clients, and the job queue uses
 * the instance directly. Two things keep them from meeting inside each other's work:
 *
 * - The server queues single protocol messages and keeps a client's turn only while a
 *   transaction is open, so the Parse/Bind/Execute/Sync batches of two pool connections could
 *   interleave ("unnamed prepared statement does not exist", answers sent to the wrong client;
 *   electric-sql/pglite#1046). Reporting a batch in progress as a transaction makes the server
 *   keep the turn until the batch's Sync.
 * - The server runs each message under PGlite's query lock only, so a statement of the job
 *   queue (which takes the session lock, as `query` and `exec` do) could run between two
 *   messages of a client's transaction, inside it. The server's messages therefore take the
 *   session lock, and keep it from a transaction's first message to its end.
 */
function sharingTheSession(db: PGlite): PGlite {
  const session = db as unknown as SessionLock;
  let midBatch = false;
  let release: (() => void) | null = null;
  const hold = () =>
    new Promise<void>((held) => {
      void session._runExclusiveTransaction(
        () =>
          new Promise<void>((done) => {
            release = done;
            held();
          }),
      );
    });
  const releaseIfDone = () => {
    if (release && !midBatch && !db.isInTransaction()) {
      const done = release;
      release = null;
      done();
    }
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'isInTransaction') return () => midBatch || target.isInTransaction();
      if (property === 'execProtocolRawStream') {
        return (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
          midBatch = BATCH_CONTINUES.has(message[0]);
          return target.execProtocolRawStream(message, options);
        };
      }
      if (property === 'runExclusive') {
        return async <T>(work: () => Promise<T>): Promise<T> => {
          if (!release) await hold();
          try {
            return await target.runExclusive(work);
          } finally {
            releaseIfDone();
          }
        };
      }
      if (property === 'exec') {
        // The server's ROLLBACK for a client that left mid-transaction: the session lock is
        // ours already, and `exec` would wait for it forever.
        return async (sql: string) => {
          if (!release) return target.exec(sql);
          try {
            await target.runExclusive(() => target.execProtocolRaw(queryMessage(sql)));
            return [];
          } finally {
            midBatch = false;
            releaseIfDone();
          }
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served on a loopback TCP port so that the
 * service talks to it through the same `pg` driver, pool and migrations as to a real server.
 *
 * PGlite is a single backend: the socket server multiplexes client connections onto it and
 * keeps a transaction on the connection that opened it. All connections therefore share one
 * session, which is why this is the zero-configuration default and not a production database.
 */
export class EmbeddedPostgres {
  private constructor(
    /** The instance itself, for the job queue (pg-boss's PGlite adapter); never closed by it. */
    readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
  ) {}

  /**
   * `dataDir` is a directory (created if missing) or `memory://` for a throwaway database.
   * `fromDump` names a file written by `dump`: a new database starts as a copy of it.
   */
  static async start(
    dataDir: string,
    maxConnections: number,
    fromDump?: string,
  ): Promise<EmbeddedPostgres> {
    const inMemory = dataDir.startsWith('memory://');
    const location = inMemory ? dataDir : resolve(dataDir);
    if (!inMemory) mkdirSync(location, { recursive: true });
    const db = await PGlite.create(location, {
      loadDataDir: fromDump ? new Blob([readFileSync(fromDump)]) : undefined,
    });
    const server = new PGLiteSocketServer({
      db: sharingTheSession(db),
      host: '127.0.0.1',
      port: 0,
      maxConnections,
    });
    try {
      await server.start();
    } catch (error) {
      await db.close();
      throw error;
    }
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    return new EmbeddedPostgres(db, server, url);
  }

  /** Writes a copy of the whole database to `file` (a tarball), to `start` others from. */
  async dump(file: string): Promise<void> {
    const dump = await this.db.dumpDataDir('none');
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
