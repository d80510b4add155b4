import { Zip, ZipDeflate } from 'fflate';
import { PersonalDataExport } from './personal-data-export.entity';
import { PersonalDataSource } from './personal-data-sources';

/** The version of the archive's layout, in `export.json`. */
const FORMAT_VERSION = 1;

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Writes one person's export as a ZIP archive (deflated, streamed: a file is compressed as its
 * source yields it, never held whole): `README.md` saying what each file holds, `export.json`
 * describing the export, then one JSON file per source. The archive's bytes go to `sink` in
 * pieces of about `pieceBytes`, the last one flagged.
 */
export class PersonalDataArchive {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failure: Error | null = null;

  constructor(
    private readonly pieceBytes: number,
    private readonly sink: (bytes: Buffer, last: boolean) => Promise<void>,
  ) {}

  async write(exported: PersonalDataExport, sources: readonly PersonalDataSource[]): Promise<void> {
    const zip = new Zip((error, data) => {
      if (error) this.failure = error;
      else {
        this.pending.push(Buffer.from(data));
        this.pendingBytes += data.byteLength;
      }
    });
    await this.file(zip, 'README.md', [readme(sources)]);
    await this.file(zip, 'export.json', [
      `${JSON.stringify(
        {
          format_version: FORMAT_VERSION,
          export_id: exported.id,
          user_id: exported.userId,
          requested_at: exported.createdAt.toISOString(),
          generated_at: new Date().toISOString(),
          files: sources.map((source) => source.file),
        },
        null,
        2,
      )}\n`,
    ]);
    for (const source of sources) {
      await this.file(zip, source.file, jsonOf(source.collect(exported.userId)));
    }
    zip.end();
    this.check();
    await this.flush(true);
  }

  private async file(zip: Zip, name: string, pieces: Iterable<string> | AsyncIterable<string>) {
    const entry = new ZipDeflate(name, { level: 6 });
    zip.add(entry);
    for await (const piece of pieces) {
      entry.push(Buffer.from(piece, 'utf8'));
      this.check();
      if (this.pendingBytes >= this.pieceBytes) await this.flush(false);
    }
    entry.push(new Uint8Array(0), true);
    this.check();
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  private async flush(last: boolean): Promise<void> {
    const bytes = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    await this.sink(bytes, last);
  }
}

/** A source's answer as JSON text: a list given as an async iterable as a JSON array. */
async function* jsonOf(result: Promise<unknown> | AsyncIterable<unknown>): AsyncIterable<string> {
  if (!isAsyncIterable(result)) {
    yield `${JSON.stringify((await result) ?? null, null, 2)}\n`;
    return;
  }
  let first = true;
  for await (const item of result) {
    yield `${first ? '[\n' : ',\n'}${JSON.stringify(item)}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

function readme(sources: readonly PersonalDataSource[]): string {
  return [
    '# Your data',
    '',
    'Everything this Gatehouse deployment holds about you, as JSON (UTF-8): one file per kind',
    'of data. Times are ISO 8601 in UTC; ids are UUIDs. Secrets (your password, second-factor',
    'seeds, tokens) are never exported: only that they exist and when they were used.',
    '',
    '| file | what it holds |',
    '| --- | --- |',
    '| `export.json` | This export: when it was asked for and built, and the files in it. |',
    ...sources.map((source) => `| \`${source.file}\` | ${source.describes} |`),
    '',
  ].join('\n');
}
