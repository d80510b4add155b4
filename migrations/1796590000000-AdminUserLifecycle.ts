import { MigrationInterface, QueryRunner } from 'typeorm';

const PERMISSIONS = [
  'users:invite',
  'users:update',
  'users:suspend',
  'users:reset_password',
  'users:revoke_sessions',
];

/**
 * The administrators' user lifecycle: invited accounts and their invitation links, the indexes
 * that serve every filter and order of the user search, and the permissions of its routes,
 * held by the built-in `admin` role.
 */
export class AdminUserLifecycle1796590000000 implements MigrationInterface {
  name = 'AdminUserLifecycle1796590000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "users" DROP CONSTRAINT "CHK_users_status"');
    await queryRunner.query(
      `ALTER TABLE "users" ADD CONSTRAINT "CHK_users_status" CHECK ("status" IN ('pending_verification', 'invited', 'active', 'suspended', 'deactivated'))`,
    );
    await queryRunner.query(
      'ALTER TABLE "email_tokens" DROP CONSTRAINT "CHK_email_tokens_purpose"',
    );
    await queryRunner.query(
      `ALTER TABLE "email_tokens" ADD CONSTRAINT "CHK_email_tokens_purpose" CHECK ("purpose" IN ('verify_email', 'reset_password', 'change_email', 'invitation'))`,
    );
    // Addresses are stored lower-cased (CHK_users_email_lower): a prefix of the column itself.
    await queryRunner.query(
      'CREATE INDEX "IDX_users_email_prefix" ON "users" ("email" text_pattern_ops)',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_users_name_prefix" ON "users" (lower("name") text_pattern_ops)',
    );
    await queryRunner.query('CREATE INDEX "IDX_users_created" ON "users" ("created_at", "id") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_users_status_created" ON "users" ("status", "created_at", "id") ',
    );
    await queryRunner.query('CREATE INDEX "IDX_users_last_login" ON "users" ("last_login_at") ');
    for (const permission of PERMISSIONS) {
      await queryRunner.query(
        `UPDATE "roles" SET "permissions" = array_append("permissions", $1)
          WHERE "name" = 'admin' AND "built_in" AND NOT ($1 = ANY ("permissions"))`,
        [permission],
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const permission of PERMISSIONS) {
      await queryRunner.query(
        `UPDATE "roles" SET "permissions" = array_remove("permissions", $1)`,
        [permission],
      );
    }
    await queryRunner.query('DROP INDEX "public"."IDX_users_last_login"');
    await queryRunner.query('DROP INDEX "public"."IDX_users_status_created"');
    await queryRunner.query('DROP INDEX "public"."IDX_users_created"');
    await queryRunner.query('DROP INDEX "public"."IDX_users_name_prefix"');
    await queryRunner.query('DROP INDEX "public"."IDX_users_email_prefix"');
    await queryRunner.query(`DELETE FROM "email_tokens" WHERE "purpose" = 'invitation'`);
    await queryRunner.query(
      'ALTER TABLE "email_tokens" DROP CONSTRAINT "CHK_email_tokens_purpose"',
    );
    await queryRunner.query(
      `ALTER TABLE "email_tokens" ADD CONSTRAINT "CHK_email_tokens_purpose" CHECK ("purpose" IN ('verify_email', 'reset_password', 'change_email'))`,
    );
    await queryRunner.query(
      `UPDATE "users" SET "status" = 'pending_verification' WHERE "status" = 'invited'`,
    );
    await queryRunner.query('ALTER TABLE "users" DROP CONSTRAINT "CHK_users_status"');
    await queryRunner.query(
      `ALTER TABLE "users" ADD CONSTRAINT "CHK_users_status" CHECK ("status" IN ('pending_verification', 'active', 'suspended', 'deactivated'))`,
    );
  }
}
