import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deleting a user's backup codes (regenerating them, removing the factor) scanned the whole table:
 * the only index on `user_id` held unused codes alone. One index on every code serves both.
 */
export class IndexAllBackupCodesByUser1795376121675 implements MigrationInterface {
  name = 'IndexAllBackupCodesByUser1795376121675';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_mfa_backup_codes_user_unused"');
    await queryRunner.query(
      'CREATE INDEX "IDX_mfa_backup_codes_user" ON "mfa_backup_codes" ("user_id")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_mfa_backup_codes_user"');
    await queryRunner.query(
      'CREATE INDEX "IDX_mfa_backup_codes_user_unused" ON "mfa_backup_codes" ("user_id") WHERE "used_at" IS NULL',
    );
  }
}
