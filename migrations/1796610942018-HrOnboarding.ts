import { MigrationInterface, QueryRunner } from 'typeorm';

/** Appended to the built-in `admin` role, in this order (GATEHOUSE_PERMISSIONS). */
const PERMISSIONS = ['hr_sources:read', 'hr_sources:write', 'hr_employees:read'];

/**
 * HR onboarding: HR sources, the new hires they post with their enrichment from Okta, and the
 * Okta orgs' circuit breakers.
 */
export class HrOnboarding1796610942018 implements MigrationInterface {
  name = 'HrOnboarding1796610942018';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "hr_sources" ("id" uuid NOT NULL, "name" text NOT NULL, "auth_mode" text NOT NULL, "secret_sealed" text, "api_key_hash" bytea, "rate_limit_per_minute" integer NOT NULL, "role_mappings" jsonb NOT NULL DEFAULT \'{}\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_hr_sources_credential" CHECK (("auth_mode" = \'signature\' AND "secret_sealed" IS NOT NULL AND "api_key_hash" IS NULL) OR ("auth_mode" = \'api_key\' AND "api_key_hash" IS NOT NULL AND "secret_sealed" IS NULL)), CONSTRAINT "CHK_hr_sources_auth_mode" CHECK ("auth_mode" IN (\'signature\', \'api_key\')), CONSTRAINT "PK_eb19ffb7ad226e6d25643fc2f41" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "IDX_hr_sources_name" ON "hr_sources"  ("name") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_hr_sources_api_key_hash" ON "hr_sources"  ("api_key_hash") WHERE "api_key_hash" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "hr_enrichments" ("id" uuid NOT NULL, "source_id" uuid NOT NULL, "webhook_id" text, "payload_hash" bytea NOT NULL, "employee_id" text NOT NULL, "first_name" text NOT NULL, "last_name" text NOT NULL, "preferred_name" text, "email" text NOT NULL, "title" text, "department" text, "start_date" date NOT NULL, "status" text NOT NULL, "reason" text, "attempts" integer NOT NULL DEFAULT \'0\', "okta_user_id" text, "groups" jsonb NOT NULL DEFAULT \'[]\', "applications" jsonb NOT NULL DEFAULT \'[]\', "user_id" uuid, "next_attempt_at" TIMESTAMP WITH TIME ZONE, "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_hr_enrichments_status" CHECK ("status" IN (\'pending\', \'processing\', \'completed\', \'failed\')), CONSTRAINT "PK_6bf31d0b246a2709cdaeeeb57c7" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_hr_enrichments_finished" ON "hr_enrichments"  ("finished_at") WHERE "finished_at" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_hr_enrichments_user" ON "hr_enrichments"  ("user_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_hr_enrichments_employee" ON "hr_enrichments"  ("employee_id", "created_at") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_hr_enrichments_webhook_id" ON "hr_enrichments"  ("source_id", "webhook_id") WHERE "webhook_id" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_hr_enrichments_payload" ON "hr_enrichments"  ("source_id", "employee_id", "payload_hash") ',
    );
    await queryRunner.query(
      'CREATE TABLE "hr_okta_circuits" ("org_url" text NOT NULL, "failures" integer NOT NULL DEFAULT \'0\', "open_until" TIMESTAMP WITH TIME ZONE, "probe_until" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_fee8ee78ab2263777fa3cfcc522" PRIMARY KEY ("org_url"))',
    );
    await queryRunner.query(
      'ALTER TABLE "hr_enrichments" ADD CONSTRAINT "FK_91dfe57f777ab038787fd67eb63" FOREIGN KEY ("source_id") REFERENCES "hr_sources"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "hr_enrichments" ADD CONSTRAINT "FK_e2b4a46e66ae0a6a7dd2b1d3d0e" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
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
        'UPDATE "roles" SET "permissions" = array_remove("permissions", $1)',
        [permission],
      );
    }
    await queryRunner.query(
      'ALTER TABLE "hr_enrichments" DROP CONSTRAINT "FK_e2b4a46e66ae0a6a7dd2b1d3d0e"',
    );
    await queryRunner.query(
      'ALTER TABLE "hr_enrichments" DROP CONSTRAINT "FK_91dfe57f777ab038787fd67eb63"',
    );
    await queryRunner.query('DROP TABLE "hr_okta_circuits"');
    await queryRunner.query('DROP INDEX "public"."IDX_hr_enrichments_payload"');
    await queryRunner.query('DROP INDEX "public"."IDX_hr_enrichments_webhook_id"');
    await queryRunner.query('DROP INDEX "public"."IDX_hr_enrichments_employee"');
    await queryRunner.query('DROP INDEX "public"."IDX_hr_enrichments_user"');
    await queryRunner.query('DROP INDEX "public"."IDX_hr_enrichments_finished"');
    await queryRunner.query('DROP TABLE "hr_enrichments"');
    await queryRunner.query('DROP INDEX "public"."IDX_hr_sources_api_key_hash"');
    await queryRunner.query('DROP INDEX "public"."IDX_hr_sources_name"');
    await queryRunner.query('DROP TABLE "hr_sources"');
  }
}
