import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox of domain events: written by the transaction of each change, published by the
 * relay (which numbers them: `position`), kept for the retention window. The partial index on
 * unpublished ids is what the relay claims from; the unique one on positions is what streams
 * and instances read after.
 */
export class CreateOutbox1796572892376 implements MigrationInterface {
  name = 'CreateOutbox1796572892376';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "outbox" ("id" uuid NOT NULL, "position" bigint, "type" text NOT NULL, "schema_version" integer NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor_type" text, "actor_id" text, "user_id" uuid, "request_id" text, "ip" text, "user_agent" text, "data" jsonb NOT NULL, "published_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_340ab539f309f03bdaa14aa7649" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_outbox_occurred_at" ON "outbox"  ("occurred_at") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_outbox_unpublished" ON "outbox"  ("id") WHERE "position" IS NULL',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_outbox_position" ON "outbox"  ("position") WHERE "position" IS NOT NULL',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."UQ_outbox_position"');
    await queryRunner.query('DROP INDEX "public"."IDX_outbox_unpublished"');
    await queryRunner.query('DROP INDEX "public"."IDX_outbox_occurred_at"');
    await queryRunner.query('DROP TABLE "outbox"');
  }
}
