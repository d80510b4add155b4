import { MigrationInterface, QueryRunner } from 'typeorm';

export class ProviderWebhooksAndSync1796601458497 implements MigrationInterface {
  name = 'ProviderWebhooksAndSync1796601458497';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "identity_provider_events" ("id" uuid NOT NULL DEFAULT uuidv7(), "provider_id" uuid NOT NULL, "event_id" text NOT NULL, "event_type" text NOT NULL, "subject" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "processed_at" TIMESTAMP WITH TIME ZONE, "outcome" text, CONSTRAINT "PK_0ebddcdd85c90e2eacea5df3af1" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_identity_provider_events_received" ON "identity_provider_events"  ("received_at") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_identity_provider_events_event" ON "identity_provider_events"  ("provider_id", "event_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "identity_provider_sync_runs" ("id" uuid NOT NULL DEFAULT uuidv7(), "provider_id" uuid NOT NULL, "status" text NOT NULL, "cursor" text, "pages_read" integer NOT NULL DEFAULT \'0\', "users_seen" integer NOT NULL DEFAULT \'0\', "users_updated" integer NOT NULL DEFAULT \'0\', "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_identity_provider_sync_runs_status" CHECK ("status" IN (\'running\', \'completed\', \'failed\')), CONSTRAINT "PK_727749c15258aa788195fb14329" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_identity_provider_sync_runs_provider" ON "identity_provider_sync_runs"  ("provider_id", "id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_identity_provider_sync_runs_running" ON "identity_provider_sync_runs"  ("provider_id") WHERE "status" = \'running\'',
    );
    await queryRunner.query(
      'ALTER TABLE "linked_identities" ADD "remote_updated_at" TIMESTAMP WITH TIME ZONE',
    );
    await queryRunner.query('ALTER TABLE "linked_identities" ADD "provider_status" text');
    await queryRunner.query(
      'ALTER TABLE "linked_identities" ADD "synced_at" TIMESTAMP WITH TIME ZONE',
    );
    await queryRunner.query(
      'ALTER TABLE "identity_provider_events" ADD CONSTRAINT "FK_afb0ec3d4d7e296e3fa76142362" FOREIGN KEY ("provider_id") REFERENCES "identity_providers"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "identity_provider_sync_runs" ADD CONSTRAINT "FK_e94d3602620b193fd94bfe3aeec" FOREIGN KEY ("provider_id") REFERENCES "identity_providers"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "identity_provider_sync_runs" DROP CONSTRAINT "FK_e94d3602620b193fd94bfe3aeec"',
    );
    await queryRunner.query(
      'ALTER TABLE "identity_provider_events" DROP CONSTRAINT "FK_afb0ec3d4d7e296e3fa76142362"',
    );
    await queryRunner.query('ALTER TABLE "linked_identities" DROP COLUMN "synced_at"');
    await queryRunner.query('ALTER TABLE "linked_identities" DROP COLUMN "provider_status"');
    await queryRunner.query('ALTER TABLE "linked_identities" DROP COLUMN "remote_updated_at"');
    await queryRunner.query('DROP INDEX "public"."UQ_identity_provider_sync_runs_running"');
    await queryRunner.query('DROP INDEX "public"."IDX_identity_provider_sync_runs_provider"');
    await queryRunner.query('DROP TABLE "identity_provider_sync_runs"');
    await queryRunner.query('DROP INDEX "public"."UQ_identity_provider_events_event"');
    await queryRunner.query('DROP INDEX "public"."IDX_identity_provider_events_received"');
    await queryRunner.query('DROP TABLE "identity_provider_events"');
  }
}
