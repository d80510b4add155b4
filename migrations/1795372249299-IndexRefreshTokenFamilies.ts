import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revoking a session's refresh tokens (logout, logout everywhere, password change) scanned the
 * whole table: the only index on `session_id` holds live tokens alone. Deleting a session would
 * too, and then once more per token deleted, for the tokens whose `parent_id` names it.
 */
export class IndexRefreshTokenFamilies1795372249299 implements MigrationInterface {
  name = 'IndexRefreshTokenFamilies1795372249299';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX "IDX_refresh_tokens_session" ON "refresh_tokens" ("session_id")',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_refresh_tokens_parent" ON "refresh_tokens" ("parent_id")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_refresh_tokens_parent"');
    await queryRunner.query('DROP INDEX "public"."IDX_refresh_tokens_session"');
  }
}
