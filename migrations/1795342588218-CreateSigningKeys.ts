import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSigningKeys1795342588218 implements MigrationInterface {
  name = 'CreateSigningKeys1795342588218';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "signing_keys" ("kid" text NOT NULL, "alg" text NOT NULL, "status" text NOT NULL, "public_jwk" jsonb NOT NULL, "private_key_sealed" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "activated_at" TIMESTAMP WITH TIME ZONE, "retired_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_signing_keys_private_key" CHECK (("status" = \'retired\') = ("private_key_sealed" IS NULL)), CONSTRAINT "CHK_signing_keys_retired_at" CHECK ("status" <> \'retired\' OR "retired_at" IS NOT NULL), CONSTRAINT "CHK_signing_keys_current_activated" CHECK ("status" <> \'current\' OR "activated_at" IS NOT NULL), CONSTRAINT "CHK_signing_keys_status" CHECK ("status" IN (\'next\', \'current\', \'retired\')), CONSTRAINT "PK_13362ac3e792c69417e1a53d355" PRIMARY KEY ("kid"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_signing_keys_one_next" ON "signing_keys"  ("status") WHERE "status" = \'next\'',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_signing_keys_one_current" ON "signing_keys"  ("status") WHERE "status" = \'current\'',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."UQ_signing_keys_one_current"');
    await queryRunner.query('DROP INDEX "public"."UQ_signing_keys_one_next"');
    await queryRunner.query('DROP TABLE "signing_keys"');
  }
}
