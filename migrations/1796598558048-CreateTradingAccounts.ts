import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTradingAccounts1796598558048 implements MigrationInterface {
  name = 'CreateTradingAccounts1796598558048';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "trading_accounts" ("id" uuid NOT NULL DEFAULT uuidv7(), "owner_id" uuid NOT NULL, "broker" text NOT NULL, "broker_user_id" text NOT NULL, "app" text NOT NULL, "display_name" text NOT NULL, "status" text NOT NULL, "status_reason" text, "profile" jsonb NOT NULL, "token_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "linked_at" TIMESTAMP WITH TIME ZONE NOT NULL, "synced_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_trading_accounts_app" CHECK ("app" IN (\'platform\', \'own\')), CONSTRAINT "CHK_trading_accounts_broker" CHECK ("broker" IN (\'zerodha\')), CONSTRAINT "CHK_trading_accounts_status" CHECK ("status" IN (\'active\', \'expired\', \'revoked\', \'error\')), CONSTRAINT "PK_ba41c42a3ecab326ed3b04d74d9" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_trading_accounts_sync" ON "trading_accounts"  ("synced_at") WHERE "status" = \'active\'',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_trading_accounts_owner" ON "trading_accounts"  ("owner_id", "id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_trading_accounts_broker_user" ON "trading_accounts"  ("broker", "broker_user_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "trading_account_credentials" ("account_id" uuid NOT NULL, "field" text NOT NULL, "envelope" text NOT NULL, "key_id" text NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_trading_account_credentials_field" CHECK ("field" IN (\'api_key\', \'api_secret\', \'access_token\', \'public_token\')), CONSTRAINT "PK_379c1056ab280abe46356b9bc42" PRIMARY KEY ("account_id", "field"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_trading_account_credentials_key" ON "trading_account_credentials"  ("key_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "trading_account_members" ("account_id" uuid NOT NULL, "user_id" uuid NOT NULL, "role" text NOT NULL, "status" text NOT NULL, "invited_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "accepted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_trading_account_members_status" CHECK ("status" IN (\'invited\', \'active\')), CONSTRAINT "CHK_trading_account_members_role" CHECK ("role" IN (\'viewer\', \'trader\', \'manager\')), CONSTRAINT "PK_9e2bb35b0b41593842de2abd7e7" PRIMARY KEY ("account_id", "user_id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_trading_account_members_user" ON "trading_account_members"  ("user_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "trading_account_links" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "app" text NOT NULL, "api_key_sealed" text, "api_secret_sealed" text, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "consumed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_trading_account_links_app" CHECK ("app" IN (\'platform\', \'own\')), CONSTRAINT "PK_739c16f6302878c28c6e7e1d8ac" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_trading_account_links_expires" ON "trading_account_links"  ("expires_at") ',
    );
    await queryRunner.query(
      'ALTER TABLE "trading_accounts" ADD CONSTRAINT "FK_d000386c5f86aa4a350a83b7f73" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "trading_account_credentials" ADD CONSTRAINT "FK_d0a2a2720d5e10079718f9f88fd" FOREIGN KEY ("account_id") REFERENCES "trading_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "trading_account_members" ADD CONSTRAINT "FK_522aed07e7ad975195d500bc593" FOREIGN KEY ("account_id") REFERENCES "trading_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "trading_account_members" ADD CONSTRAINT "FK_e6a82b64d8b800d2af04ebe9c5e" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "trading_account_links" ADD CONSTRAINT "FK_83db496226539b53b4f56e77063" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "trading_account_links" DROP CONSTRAINT "FK_83db496226539b53b4f56e77063"',
    );
    await queryRunner.query(
      'ALTER TABLE "trading_account_members" DROP CONSTRAINT "FK_e6a82b64d8b800d2af04ebe9c5e"',
    );
    await queryRunner.query(
      'ALTER TABLE "trading_account_members" DROP CONSTRAINT "FK_522aed07e7ad975195d500bc593"',
    );
    await queryRunner.query(
      'ALTER TABLE "trading_account_credentials" DROP CONSTRAINT "FK_d0a2a2720d5e10079718f9f88fd"',
    );
    await queryRunner.query(
      'ALTER TABLE "trading_accounts" DROP CONSTRAINT "FK_d000386c5f86aa4a350a83b7f73"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_trading_account_links_expires"');
    await queryRunner.query('DROP TABLE "trading_account_links"');
    await queryRunner.query('DROP INDEX "public"."IDX_trading_account_members_user"');
    await queryRunner.query('DROP TABLE "trading_account_members"');
    await queryRunner.query('DROP INDEX "public"."IDX_trading_account_credentials_key"');
    await queryRunner.query('DROP TABLE "trading_account_credentials"');
    await queryRunner.query('DROP INDEX "public"."UQ_trading_accounts_broker_user"');
    await queryRunner.query('DROP INDEX "public"."IDX_trading_accounts_owner"');
    await queryRunner.query('DROP INDEX "public"."IDX_trading_accounts_sync"');
    await queryRunner.query('DROP TABLE "trading_accounts"');
  }
}
