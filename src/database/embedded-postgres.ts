import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Parse, Bind, Describe, Execute, Close, Flush: an extended-protocol batch goes on until Sync. */
const BATCH_CONTINUES = new Set([...'PBDECH'].map((c) => c.charCodeAt(0)));

/**
 * The socket server queues single protocol messages and keeps a client's turn only while a
 * transaction is open, so the Parse/Bind/Execute/Sync batches of two pool connections could
 * interleave on the one backend ("unnamed prepared statement does not exist", answers sent to
 * the wrong client; electric-sql/pglite#1046). Reporting a batch in progress as a transaction
 * makes the server keep the turn until the batch's Sync.
 */
function keepingBatchesWhole(db: PGlite): PGlite {
  let midBatch = false;
  return new Proxy(db, {
    get(target, property) {
      if (property === 'isInTransaction') return () => midBatch || target.isInTransaction();
      if (property === 'execProtocolRawStream') {
        return (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
          midBatch = BATCH_CONTINUES.has(message[0]);
          return target.execProtocolRawStream(message, options);
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
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
  ) {}

  /** `dataDir` is a directory (created if missing) or `memory://` for a throwaway database. */
  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    const inMemory = dataDir.startsWith('memory://');
    const location = inMemory ? dataDir : resolve(dataDir);
    if (!inMemory) mkdirSync(location, { recursive: true });
    const db = await PGlite.create(location);
    const server = new PGLiteSocketServer({
      db: keepingBatchesWhole(db),
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

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
