import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log becomes one timeline with a hash chain: administrative rows and (from now on)
 * authentication events in `audit_events`, personal fields encrypted under per-user keys. The
 * clear-text `ip` of existing rows becomes their network (/24, /48); the exact address, which
 * the new rows keep only encrypted, is not carried over in clear. Existing rows are sealed into
 * the chain by the sealing job on its first run.
 */
export class AuditTimeline1796587770887 implements MigrationInterface {
  name = 'AuditTimeline1796587770887';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_target_time"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_actor_time"');
    await queryRunner.query(
      'CREATE TABLE "audit_checkpoints" ("id" uuid NOT NULL DEFAULT uuidv7(), "seq" bigint NOT NULL, "head_hash" bytea NOT NULL, "previous_digest" bytea, "jws" text NOT NULL, "kid" text NOT NULL, "public_jwk" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ec62ec0b7b181580b1fa64e1167" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_checkpoints_seq" ON "audit_checkpoints"  ("seq") ',
    );
    await queryRunner.query(
      'CREATE TABLE "audit_secrets" ("name" text NOT NULL, "sealed_key" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e24c26922b28a7c35b05bc6e13a" PRIMARY KEY ("name"))',
    );
    await queryRunner.query(
      'CREATE TABLE "audit_user_keys" ("user_id" uuid NOT NULL, "sealed_key" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "destroyed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_e7b61db39aaf8be1fa4917913b3" PRIMARY KEY ("user_id"))',
    );
    await queryRunner.query('ALTER TABLE "audit_events" ADD "ip_network" cidr');
    await queryRunner.query(
      `UPDATE "audit_events" SET "ip_network" = network(set_masklen("ip"::inet,
         CASE family("ip"::inet) WHEN 4 THEN 24 ELSE 48 END)) WHERE "ip" IS NOT NULL`,
    );
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "ip"');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "kind" text');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "action_family" text');
    await queryRunner.query(
      `UPDATE "audit_events" SET "kind" = 'administrative', "action_family" = split_part("action", '.', 1)`,
    );
    await queryRunner.query('ALTER TABLE "audit_events" ALTER COLUMN "kind" SET NOT NULL');
    await queryRunner.query('ALTER TABLE "audit_events" ALTER COLUMN "action_family" SET NOT NULL');
    await queryRunner.query(
      'ALTER TABLE "audit_events" DROP CONSTRAINT "CHK_audit_events_actor_type"',
    );
    await queryRunner.query(
      'ALTER TABLE "audit_events" DROP CONSTRAINT "CHK_audit_events_actor_id"',
    );
    await queryRunner.query(
      `ALTER TABLE "audit_events" ADD CONSTRAINT "CHK_audit_events_actor_type" CHECK ("actor_type" IN ('user', 'service', 'system', 'anonymous'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "audit_events" ADD CONSTRAINT "CHK_audit_events_actor_id" CHECK ("actor_type" IN ('system', 'anonymous') OR "actor_id" IS NOT NULL)`,
    );
    await queryRunner.query(
      'ALTER TABLE "audit_events" ADD "outcome" text NOT NULL DEFAULT \'success\'',
    );
    await queryRunner.query('ALTER TABLE "audit_events" ADD "reason" text');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "user_id" uuid');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "session_id" uuid');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "actor_personal" text');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "subject_personal" text');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "ip_hmac" bytea');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "seq" bigint');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "prev_hash" bytea');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "hash" bytea');
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_unsealed" ON "audit_events"  ("id") WHERE "seq" IS NULL',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_audit_events_seq" ON "audit_events"  ("seq") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_request" ON "audit_events"  ("request_id", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_network" ON "audit_events"  ("ip_network", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_ip" ON "audit_events"  ("ip_hmac", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_outcome" ON "audit_events"  ("outcome", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_action_family" ON "audit_events"  ("action_family", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_action" ON "audit_events"  ("action", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_user" ON "audit_events"  ("user_id", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_actor" ON "audit_events"  ("actor_type", "actor_id", "id") ',
    );
    await queryRunner.query(
      'ALTER TABLE "audit_events" ADD CONSTRAINT "CHK_audit_events_sealed" CHECK (("seq" IS NULL) = ("hash" IS NULL) AND ("seq" IS NULL) = ("prev_hash" IS NULL))',
    );
    await queryRunner.query(
      'ALTER TABLE "audit_events" ADD CONSTRAINT "CHK_audit_events_outcome" CHECK ("outcome" IN (\'success\', \'failure\'))',
    );
    await queryRunner.query(
      'ALTER TABLE "audit_events" ADD CONSTRAINT "CHK_audit_events_kind" CHECK ("kind" IN (\'administrative\', \'authentication\'))',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DELETE FROM "audit_events" WHERE "kind" = \'authentication\'');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "ip" text');
    await queryRunner.query('UPDATE "audit_events" SET "ip" = host("ip_network")');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "ip_network"');
    await queryRunner.query(
      'ALTER TABLE "audit_events" DROP CONSTRAINT "CHK_audit_events_actor_type"',
    );
    await queryRunner.query(
      'ALTER TABLE "audit_events" DROP CONSTRAINT "CHK_audit_events_actor_id"',
    );
    await queryRunner.query(
      `ALTER TABLE "audit_events" ADD CONSTRAINT "CHK_audit_events_actor_type" CHECK ("actor_type" IN ('user', 'service', 'system'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "audit_events" ADD CONSTRAINT "CHK_audit_events_actor_id" CHECK ("actor_type" = 'system' OR "actor_id" IS NOT NULL)`,
    );
    await queryRunner.query('ALTER TABLE "audit_events" DROP CONSTRAINT "CHK_audit_events_kind"');
    await queryRunner.query(
      'ALTER TABLE "audit_events" DROP CONSTRAINT "CHK_audit_events_outcome"',
    );
    await queryRunner.query('ALTER TABLE "audit_events" DROP CONSTRAINT "CHK_audit_events_sealed"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_actor"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_user"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_action"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_action_family"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_outcome"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_ip"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_network"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_request"');
    await queryRunner.query('DROP INDEX "public"."UQ_audit_events_seq"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_events_unsealed"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "hash"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "prev_hash"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "seq"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "ip_hmac"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "subject_personal"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "actor_personal"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "session_id"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "user_id"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "reason"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "outcome"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "action_family"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "kind"');
    await queryRunner.query('DROP TABLE "audit_user_keys"');
    await queryRunner.query('DROP TABLE "audit_secrets"');
    await queryRunner.query('DROP INDEX "public"."IDX_audit_checkpoints_seq"');
    await queryRunner.query('DROP TABLE "audit_checkpoints"');
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_actor_time" ON "audit_events" USING btree ("actor_type", "actor_id", "created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_audit_events_target_time" ON "audit_events" USING btree ("target_type", "target_id", "created_at") ',
    );
  }
}
