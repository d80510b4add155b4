import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAccounts1795343347427 implements MigrationInterface {
  name = 'CreateAccounts1795343347427';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "auth_events" ("id" uuid NOT NULL DEFAULT uuidv7(), "type" text NOT NULL, "user_id" uuid, "session_id" uuid, "ip" text, "user_agent" text, "outcome" text NOT NULL, "reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_auth_events_outcome" CHECK ("outcome" IN (\'success\', \'failure\')), CONSTRAINT "PK_ab929cc6084ffb3fd795bd983c0" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_auth_events_type_time" ON "auth_events"  ("type", "created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_auth_events_user_time" ON "auth_events"  ("user_id", "created_at") ',
    );
    await queryRunner.query(
      'CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT uuidv7(), "email" text NOT NULL, "email_verified_at" TIMESTAMP WITH TIME ZONE, "password_hash" text, "name" text NOT NULL, "phone" text, "avatar_url" text, "timezone" text, "locale" text, "status" text NOT NULL DEFAULT \'pending_verification\', "last_login_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "CHK_users_email_lower" CHECK ("email" = lower("email")), CONSTRAINT "CHK_users_status" CHECK ("status" IN (\'pending_verification\', \'active\', \'suspended\', \'deactivated\')), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT uuidv7(), "user_id" uuid NOT NULL, "ip" text, "user_agent" text, "amr" text array NOT NULL, "auth_time" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "idle_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "absolute_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoke_reason" text, CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_sessions_user_live" ON "sessions"  ("user_id") WHERE "revoked_at" IS NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "refresh_tokens" ("id" uuid NOT NULL DEFAULT uuidv7(), "session_id" uuid NOT NULL, "parent_id" uuid, "token_hash" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "rotated_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_a7838d2ba25be1342091b6695f1" UNIQUE ("token_hash"), CONSTRAINT "PK_7d8bee0204106019488c4c50ffa" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_refresh_tokens_one_live_per_session" ON "refresh_tokens"  ("session_id") WHERE "rotated_at" IS NULL AND "revoked_at" IS NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "mail_outbox" ("id" uuid NOT NULL DEFAULT uuidv7(), "recipient" text NOT NULL, "subject" text NOT NULL, "text" text NOT NULL, "link" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_fecc63c96385bc35a39ccf2a72e" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_mail_outbox_recipient" ON "mail_outbox"  ("recipient", "created_at") ',
    );
    await queryRunner.query(
      'CREATE TABLE "email_tokens" ("id" uuid NOT NULL DEFAULT uuidv7(), "user_id" uuid NOT NULL, "purpose" text NOT NULL, "token_hash" bytea NOT NULL, "new_email" text, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "consumed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_8acb431edfc9f9d0e77741468ed" UNIQUE ("token_hash"), CONSTRAINT "CHK_email_tokens_new_email" CHECK (("purpose" = \'change_email\') = ("new_email" IS NOT NULL)), CONSTRAINT "CHK_email_tokens_purpose" CHECK ("purpose" IN (\'verify_email\', \'reset_password\', \'change_email\')), CONSTRAINT "PK_08abb3fa348e894c274a6730d35" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_email_tokens_user" ON "email_tokens"  ("user_id", "purpose") ',
    );
    await queryRunner.query(
      'CREATE TABLE "user_preferences" ("user_id" uuid NOT NULL, "theme" text NOT NULL DEFAULT \'system\', "notifications" jsonb NOT NULL, "watchlists" jsonb NOT NULL DEFAULT \'[]\', "default_trading_account_id" uuid, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_user_preferences_notifications" CHECK (jsonb_typeof("notifications") = \'object\'), CONSTRAINT "CHK_user_preferences_watchlists" CHECK (jsonb_typeof("watchlists") = \'array\'), CONSTRAINT "CHK_user_preferences_theme" CHECK ("theme" IN (\'system\', \'light\', \'dark\')), CONSTRAINT "PK_458057fa75b66e68a275647da2e" PRIMARY KEY ("user_id"))',
    );
    await queryRunner.query(
      'ALTER TABLE "sessions" ADD CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "refresh_tokens" ADD CONSTRAINT "FK_3bf308fa93da3966f9e76fcfba4" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "refresh_tokens" ADD CONSTRAINT "FK_5a8e126b7a91b145aa651af5507" FOREIGN KEY ("parent_id") REFERENCES "refresh_tokens"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "email_tokens" ADD CONSTRAINT "FK_018295f41628791c301bfe8b625" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "user_preferences" ADD CONSTRAINT "FK_458057fa75b66e68a275647da2e" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "user_preferences" DROP CONSTRAINT "FK_458057fa75b66e68a275647da2e"',
    );
    await queryRunner.query(
      'ALTER TABLE "email_tokens" DROP CONSTRAINT "FK_018295f41628791c301bfe8b625"',
    );
    await queryRunner.query(
      'ALTER TABLE "refresh_tokens" DROP CONSTRAINT "FK_5a8e126b7a91b145aa651af5507"',
    );
    await queryRunner.query(
      'ALTER TABLE "refresh_tokens" DROP CONSTRAINT "FK_3bf308fa93da3966f9e76fcfba4"',
    );
    await queryRunner.query(
      'ALTER TABLE "sessions" DROP CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19"',
    );
    await queryRunner.query('DROP TABLE "user_preferences"');
    await queryRunner.query('DROP INDEX "public"."IDX_email_tokens_user"');
    await queryRunner.query('DROP TABLE "email_tokens"');
    await queryRunner.query('DROP INDEX "public"."IDX_mail_outbox_recipient"');
    await queryRunner.query('DROP TABLE "mail_outbox"');
    await queryRunner.query('DROP INDEX "public"."UQ_refresh_tokens_one_live_per_session"');
    await queryRunner.query('DROP TABLE "refresh_tokens"');
    await queryRunner.query('DROP INDEX "public"."IDX_sessions_user_live"');
    await queryRunner.query('DROP TABLE "sessions"');
    await queryRunner.query('DROP TABLE "users"');
    await queryRunner.query('DROP INDEX "public"."IDX_auth_events_user_time"');
    await queryRunner.query('DROP INDEX "public"."IDX_auth_events_type_time"');
    await queryRunner.query('DROP TABLE "auth_events"');
  }
}
