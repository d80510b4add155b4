import { DataSource } from 'typeorm';
import { Query } from 'typeorm/driver/Query';

export interface SchemaDrift {
  up: Query[];
  down: Query[];
}

/**
 * What TypeORM would change to make the (migrated) database match the entities: exactly what
 * `migration:generate` writes. Empty means the migrations and the entities agree.
 */
export async function detectSchemaDrift(dataSource: DataSource): Promise<SchemaDrift> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return { up: sql.upQueries, down: sql.downQueries };
}

/** JSON string literals are valid TypeScript and keep backslashes, quotes and `${` verbatim. */
function statement(query: Query): string {
  const sql = JSON.stringify(query.query);
  return query.parameters?.length
    ? `    await queryRunner.query(${sql}, ${JSON.stringify(query.parameters)});`
    : `    await queryRunner.query(${sql});`;
}

/** A migration file in the form the repository keeps (`migrations/<timestamp>-<Name>.ts`). */
export function renderMigration(name: string, timestamp: number, drift: SchemaDrift): string {
  const className = `${name}${timestamp}`;
  return [
    "import { MigrationInterface, QueryRunner } from 'typeorm';",
    '',
    `export class ${className} implements MigrationInterface {`,
    `  name = '${className}';`,
    '',
    '  public async up(queryRunner: QueryRunner): Promise<void> {',
    ...drift.up.map(statement),
    '  }',
    '',
    '  public async down(queryRunner: QueryRunner): Promise<void> {',
    ...[...drift.down].reverse().map(statement),
    '  }',
    '}',
    '',
  ].join('\n');
}
