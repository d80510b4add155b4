import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';

const BUILT = join(__dirname, '..', '..', 'dist', 'src', 'database', 'embedded-postgres.js');

/** Runs in the child: start the embedded server, print its URL, stop cleanly on SIGTERM. */
const CHILD_SCRIPT = `
const { EmbeddedPostgres } = require(process.env.EMBEDDED_MODULE);
EmbeddedPostgres.start(process.env.EMBEDDED_DIR, 32, process.env.EMBEDDED_DUMP || undefined).then((db) => {
  process.stdout.write(db.url + '\\n');
  process.once('SIGTERM', () => db.stop().then(() => process.exit(0)));
}, (error) => { process.stderr.write(String(error.stack || error)); process.exit(1); });
`;

export interface EmbeddedPostgresProcess {
  url: string;
  /** Stops the server the way the service does at shutdown (PGlite closed, data flushed). */
  stop: () => Promise<void>;
}

/**
 * Gatehouse's embedded PostgreSQL in a process of its own. PGlite loads its WebAssembly with a
 * dynamic import(), which Jest's module sandbox cannot perform, so tests run it beside them —
 * the same built class `npm start` uses, reached over loopback like any PostgreSQL.
 */
export async function startEmbeddedPostgresProcess(
  dataDir: string,
  /** A dump (EmbeddedPostgres.dump) the database starts as a copy of. */
  fromDump?: string,
): Promise<EmbeddedPostgresProcess> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npm run build`);
  const child = spawn(process.execPath, ['-e', CHILD_SCRIPT], {
    env: {
      PATH: process.env.PATH ?? '',
      EMBEDDED_MODULE: BUILT,
      EMBEDDED_DIR: dataDir,
      EMBEDDED_DUMP: fromDump ?? '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // A test that fails before stopping its database must not keep Jest (or the machine) busy.
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  child.unref();
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) {
        // Only its exit matters from now on: its pipes must not hold this process open.
        for (const stream of [child.stdout, child.stderr]) (stream as unknown as Socket).unref();
        resolve(output.trim());
      }
    });
    void exited.then((code) =>
      reject(new Error(`embedded PostgreSQL exited (${code}): ${errors}`)),
    );
  });
  return {
    url,
    stop: async () => {
      process.off('exit', orphaned);
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`embedded PostgreSQL stopped with ${code}: ${errors}`);
    },
  };
}
