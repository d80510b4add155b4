import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateMfa1795360943917 implements MigrationInterface {
  name = 'CreateMfa1795360943917';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "mfa_backup_codes" ("id" uuid NOT NULL DEFAULT uuidv7(), "user_id" uuid NOT NULL, "code_hash" text NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_35520290bd254a10854a2306dfe" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_mfa_backup_codes_user_unused" ON "mfa_backup_codes"  ("user_id") WHERE "used_at" IS NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "mfa_challenges" ("id" uuid NOT NULL DEFAULT uuidv7(), "user_id" uuid NOT NULL, "purpose" text NOT NULL, "token_hash" bytea NOT NULL, "password_fingerprint" bytea NOT NULL, "failed_attempts" integer NOT NULL DEFAULT \'0\', "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "consumed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_cf5f2cdf8d418c02661b06a9312" UNIQUE ("token_hash"), CONSTRAINT "CHK_mfa_challenges_purpose" CHECK ("purpose" IN (\'login\', \'enroll\')), CONSTRAINT "PK_25d85a6da62620267e003fb4da4" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_mfa_challenges_user" ON "mfa_challenges"  ("user_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "mfa_totp_factors" ("user_id" uuid NOT NULL, "secret_sealed" text NOT NULL, "status" text NOT NULL, "last_used_step" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "activated_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_mfa_totp_factors_status" CHECK ("status" IN (\'pending\', \'active\')), CONSTRAINT "PK_81bb1fde8ff16709043419ab402" PRIMARY KEY ("user_id"))',
    );
    await queryRunner.query(
      'ALTER TABLE "mfa_backup_codes" ADD CONSTRAINT "FK_812f90761466ebd3c3b1cab1158" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "mfa_challenges" ADD CONSTRAINT "FK_1715663f6483821e6af6132b35b" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "mfa_totp_factors" ADD CONSTRAINT "FK_81bb1fde8ff16709043419ab402" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    // The built-in admin holds every permission of Gatehouse's own API, the new one included.
    await queryRunner.query(
      `UPDATE "roles" SET "permissions" = array_append("permissions", 'users:reset_mfa')
        WHERE "name" = 'admin' AND "built_in" AND NOT ('users:reset_mfa' = ANY ("permissions"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE "roles" SET "permissions" = array_remove("permissions", 'users:reset_mfa')`,
    );
    await queryRunner.query(
      'ALTER TABLE "mfa_totp_factors" DROP CONSTRAINT "FK_81bb1fde8ff16709043419ab402"',
    );
    await queryRunner.query(
      'ALTER TABLE "mfa_challenges" DROP CONSTRAINT "FK_1715663f6483821e6af6132b35b"',
    );
    await queryRunner.query(
      'ALTER TABLE "mfa_backup_codes" DROP CONSTRAINT "FK_812f90761466ebd3c3b1cab1158"',
    );
    await queryRunner.query('DROP TABLE "mfa_totp_factors"');
    await queryRunner.query('DROP INDEX "public"."IDX_mfa_challenges_user"');
    await queryRunner.query('DROP TABLE "mfa_challenges"');
    await queryRunner.query('DROP INDEX "public"."IDX_mfa_backup_codes_user_unused"');
    await queryRunner.query('DROP TABLE "mfa_backup_codes"');
  }
}
