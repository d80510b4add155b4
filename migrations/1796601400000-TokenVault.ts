import { MigrationInterface, QueryRunner } from 'typeorm';

export class TokenVault1796601400000 implements MigrationInterface {
  name = 'TokenVault1796601400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "offline_tokens" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "subject" text NOT NULL, "provider_session_id" text, "scopes" text array NOT NULL, "envelope" text NOT NULL, "key_id" text NOT NULL, "token_hash" bytea NOT NULL, "status" text NOT NULL DEFAULT \'active\', "expires_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, "rotated_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_offline_tokens_status" CHECK ("status" IN (\'active\', \'revoked\')), CONSTRAINT "PK_34287991930e3a64bdc198c0b16" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_offline_tokens_key" ON "offline_tokens"  ("key_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_offline_tokens_session" ON "offline_tokens"  ("provider_id", "provider_session_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_offline_tokens_user" ON "offline_tokens"  ("user_id", "id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_offline_tokens_token" ON "offline_tokens"  ("user_id", "provider_id", "token_hash") ',
    );
    await queryRunner.query(
      'CREATE TABLE "token_vault_consents" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "session_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "scopes" text array NOT NULL, "redirect_uri" text NOT NULL, "secrets_sealed" text NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "consumed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0ebcfb72d0dc3d944414f223d59" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_token_vault_consents_expires" ON "token_vault_consents"  ("expires_at") ',
    );
    await queryRunner.query(
      'ALTER TABLE "offline_tokens" ADD CONSTRAINT "FK_56168b2d346adcd4a95d0433065" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "token_vault_consents" ADD CONSTRAINT "FK_fe055fb34bc0d76fc169ee41ecd" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "token_vault_consents" DROP CONSTRAINT "FK_fe055fb34bc0d76fc169ee41ecd"',
    );
    await queryRunner.query(
      'ALTER TABLE "offline_tokens" DROP CONSTRAINT "FK_56168b2d346adcd4a95d0433065"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_token_vault_consents_expires"');
    await queryRunner.query('DROP TABLE "token_vault_consents"');
    await queryRunner.query('DROP INDEX "public"."UQ_offline_tokens_token"');
    await queryRunner.query('DROP INDEX "public"."IDX_offline_tokens_user"');
    await queryRunner.query('DROP INDEX "public"."IDX_offline_tokens_session"');
    await queryRunner.query('DROP INDEX "public"."IDX_offline_tokens_key"');
    await queryRunner.query('DROP TABLE "offline_tokens"');
  }
}
