import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

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
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
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
