import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuditEvents1795351410000 implements MigrationInterface {
  name = 'CreateAuditEvents1795351410000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "audit_events" ("id" uuid NOT NULL DEFAULT uuidv7(), "actor_type" text NOT NULL, "actor_id" text, "action" text NOT NULL, "target_type" text NOT NULL, "target_id" text, "details" jsonb NOT NULL DEFAULT \'{}\', "request_id" text, "ip" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_audit_events_details" CHECK (jsonb_typeof("details") = \'object\'), CONSTRAINT "CHK_audit_events_actor_id" CHECK ("actor_type" = \'system\' OR "actor_id" IS NOT NULL), CONSTRAINT "CHK_audit_events_actor_type" CHECK ("actor_type" IN (\'user\', \'service\', \'system\')), CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_target_time" ON "audit_events"  ("target_type", "target_id", "created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_actor_time" ON "audit_events"  ("actor_type", "actor_id", "created_at") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_actor_time"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_target_time"');
    await queryRunner.query('DROP TABLE "audit_events"');
  }
}
