import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import { Query } from 'typeorm/driver/Query';
import { renderMigration, SchemaDrift } from './schema-drift';

/** Compiles and runs a rendered migration, returning the SQL its up() and down() send. */
async function execute(source: string): Promise<{ up: unknown[][]; down: unknown[][] }> {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const module = { exports: {} as Record<string, new () => Record<string, unknown>> };
  runInNewContext(outputText, { module, exports: module.exports, require: () => ({}) });
  const migration = new (Object.values(module.exports)[0])() as {
    up(runner: unknown): Promise<void>;
    down(runner: unknown): Promise<void>;
  };
  const sent = { up: [] as unknown[][], down: [] as unknown[][] };
  const recorder = (into: unknown[][]) => ({
    query: (...args: unknown[]) => Promise.resolve(void into.push(args)),
  });
  await migration.up(recorder(sent.up));
  await migration.down(recorder(sent.down));
  return sent;
}

describe('renderMigration', () => {
  it('writes SQL that reaches the database byte for byte, escapes and all', async () => {
    const tricky = [
      `ALTER TABLE "t" ADD CONSTRAINT "c" CHECK ("pin" ~ '^\\d{6}$')`,
      'COMMENT ON TABLE "t" IS \'costs ${price} and `ticks`\'',
      `INSERT INTO "t" VALUES ('line\nbreak', 'quote " here')`,
    ];
    const drift: SchemaDrift = {
      up: [...tricky.map((sql) => new Query(sql)), new Query('SELECT $1', ['x\\y'])],
      down: [new Query('DROP TABLE "t"'), new Query('SELECT 1')],
    };
    const source = renderMigration('AddT', 1700000000000, drift);
    expect(source).toContain('export class AddT1700000000000 implements MigrationInterface');
    const sent = await execute(source);
    expect(sent.up).toEqual([...tricky.map((sql) => [sql]), ['SELECT $1', ['x\\y']]]);
    // down() undoes in reverse order
    expect(sent.down).toEqual([['SELECT 1'], ['DROP TABLE "t"']]);
  });
});
