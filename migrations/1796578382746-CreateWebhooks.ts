import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateWebhooks1796578382746 implements MigrationInterface {
  name = 'CreateWebhooks1796578382746';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "webhook_endpoints" ("id" uuid NOT NULL, "owner_type" text NOT NULL, "owner_id" text NOT NULL, "url" text NOT NULL, "description" text NOT NULL DEFAULT \'\', "event_types" text array NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "disabled_reason" text, "secret_sealed" text NOT NULL, "previous_secret_sealed" text, "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE, "failing_since" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_webhook_endpoints_event_types" CHECK (cardinality("event_types") > 0), CONSTRAINT "CHK_webhook_endpoints_disabled_reason" CHECK ("disabled_reason" IS NULL OR "disabled_reason" IN (\'gone\', \'failing\')), CONSTRAINT "CHK_webhook_endpoints_owner_type" CHECK ("owner_type" IN (\'user\', \'service\', \'system\')), CONSTRAINT "PK_054c4cfb95223732f5939d2d546" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_webhook_endpoints_owner" ON "webhook_endpoints"  ("owner_type", "owner_id", "id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "webhook_deliveries" ("id" uuid NOT NULL DEFAULT uuidv7(), "endpoint_id" uuid NOT NULL, "event_id" uuid NOT NULL, "event_type" text NOT NULL, "attempt" integer NOT NULL, "outcome" text NOT NULL, "status_code" integer, "error" text, "latency_ms" integer NOT NULL, "response_body" text, "attempted_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "CHK_webhook_deliveries_outcome" CHECK ("outcome" IN (\'success\', \'retrying\', \'failed\')), CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_webhook_deliveries_endpoint_event" ON "webhook_deliveries"  ("endpoint_id", "event_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_webhook_deliveries_endpoint" ON "webhook_deliveries"  ("endpoint_id", "id") ',
    );
    await queryRunner.query(
      'ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_0b882c26a9b91c26e6e86b4867c" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "FK_0b882c26a9b91c26e6e86b4867c"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_webhook_deliveries_endpoint"');
    await queryRunner.query('DROP INDEX "public"."IDX_webhook_deliveries_endpoint_event"');
    await queryRunner.query('DROP TABLE "webhook_deliveries"');
    await queryRunner.query('DROP INDEX "public"."IDX_webhook_endpoints_owner"');
    await queryRunner.query('DROP TABLE "webhook_endpoints"');
  }
}
