import { MigrationInterface, QueryRunner } from 'typeorm';

const PERMISSIONS = ['users:export', 'users:delete'];

/**
 * GDPR: personal data exports (encrypted in chunks, like the audit log's), the scheduled
 * deletion of an account, and the permissions of the administrators' routes for both, held by
 * the built-in `admin` role.
 */
export class PersonalDataExportsAndErasure1796598922799 implements MigrationInterface {
  name = 'PersonalDataExportsAndErasure1796598922799';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "personal_data_exports" ("id" uuid NOT NULL DEFAULT uuidv7(), "user_id" uuid NOT NULL, "requester_type" text NOT NULL, "requester_id" text NOT NULL, "status" text NOT NULL DEFAULT \'pending\', "sealed_key" text NOT NULL, "chunks" integer, "size_bytes" bigint, "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP WITH TIME ZONE, "expires_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_personal_data_exports_status" CHECK ("status" IN (\'pending\', \'ready\', \'failed\')), CONSTRAINT "PK_3eb3893f80f8e5f1c7d9450ddf6" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_personal_data_exports_expires" ON "personal_data_exports"  ("expires_at") WHERE "expires_at" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_personal_data_exports_user_created" ON "personal_data_exports"  ("user_id", "created_at") ',
    );
    await queryRunner.query(
      'CREATE TABLE "personal_data_export_chunks" ("export_id" uuid NOT NULL, "index" integer NOT NULL, "data" bytea NOT NULL, CONSTRAINT "PK_2f6109b83e5298b972bb337e3b9" PRIMARY KEY ("export_id", "index"))',
    );
    await queryRunner.query(
      'ALTER TABLE "users" ADD "deletion_requested_at" TIMESTAMP WITH TIME ZONE',
    );
    await queryRunner.query('ALTER TABLE "users" ADD "deletion_due_at" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query(
      'CREATE INDEX "IDX_users_deletion_due" ON "users"  ("deletion_due_at") WHERE "deletion_due_at" IS NOT NULL',
    );
    await queryRunner.query(
      'ALTER TABLE "users" ADD CONSTRAINT "CHK_users_deletion" CHECK (("deletion_requested_at" IS NULL) = ("deletion_due_at" IS NULL))',
    );
    await queryRunner.query(
      'ALTER TABLE "personal_data_exports" ADD CONSTRAINT "FK_fb3ffa124b358062561980d71d4" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "personal_data_export_chunks" ADD CONSTRAINT "FK_6deaa8bb37e0b41407880c2f0b1" FOREIGN KEY ("export_id") REFERENCES "personal_data_exports"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
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
    await queryRunner.query(
      'ALTER TABLE "personal_data_export_chunks" DROP CONSTRAINT "FK_6deaa8bb37e0b41407880c2f0b1"',
    );
    await queryRunner.query(
      'ALTER TABLE "personal_data_exports" DROP CONSTRAINT "FK_fb3ffa124b358062561980d71d4"',
    );
    await queryRunner.query('ALTER TABLE "users" DROP CONSTRAINT "CHK_users_deletion"');
    await queryRunner.query('DROP INDEX "public"."IDX_users_deletion_due"');
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "deletion_due_at"');
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "deletion_requested_at"');
    await queryRunner.query('DROP TABLE "personal_data_export_chunks"');
    await queryRunner.query('DROP INDEX "public"."IDX_personal_data_exports_user_created"');
    await queryRunner.query('DROP INDEX "public"."IDX_personal_data_exports_expires"');
    await queryRunner.query('DROP TABLE "personal_data_exports"');
  }
}
