import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOAuthClients1795351674293 implements MigrationInterface {
  name = 'CreateOAuthClients1795351674293';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "oauth_clients" ("id" uuid NOT NULL DEFAULT uuidv7(), "client_id" text NOT NULL, "name" text NOT NULL, "allowed_scopes" text array NOT NULL, "grant_types" text array NOT NULL, "status" text NOT NULL DEFAULT \'active\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_c5c4af500cc8bfc05500fff7f90" UNIQUE ("client_id"), CONSTRAINT "CHK_oauth_clients_allowed_scopes" CHECK (cardinality("allowed_scopes") > 0), CONSTRAINT "CHK_oauth_clients_grant_types" CHECK (cardinality("grant_types") > 0 AND "grant_types" <@ ARRAY[\'client_credentials\']::text[]), CONSTRAINT "CHK_oauth_clients_client_id" CHECK ("client_id" ~ \'^ghc_[A-Za-z0-9_-]{22}$\'), CONSTRAINT "CHK_oauth_clients_status" CHECK ("status" IN (\'active\', \'disabled\')), CONSTRAINT "PK_c4759172d3431bae6f04e678e0d" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "oauth_client_secrets" ("id" uuid NOT NULL DEFAULT uuidv7(), "client_id" uuid NOT NULL, "secret_hash" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_ff385740abdd4ded07902c808e5" UNIQUE ("secret_hash"), CONSTRAINT "PK_a83999b182de70d3eb4d7c418ee" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_oauth_client_secrets_client" ON "oauth_client_secrets"  ("client_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "oauth_revoked_tokens" ("jti" uuid NOT NULL, "client_id" uuid NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_438c2098069d6d80a0d5ca0db2f" PRIMARY KEY ("jti"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_oauth_revoked_tokens_expiry" ON "oauth_revoked_tokens"  ("expires_at") ',
    );
    await queryRunner.query(
      'ALTER TABLE "oauth_client_secrets" ADD CONSTRAINT "FK_09ad2925f839033d8680cdc2b1e" FOREIGN KEY ("client_id") REFERENCES "oauth_clients"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "oauth_revoked_tokens" ADD CONSTRAINT "FK_744a5402d594f8007268262f7ab" FOREIGN KEY ("client_id") REFERENCES "oauth_clients"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "oauth_revoked_tokens" DROP CONSTRAINT "FK_744a5402d594f8007268262f7ab"',
    );
    await queryRunner.query(
      'ALTER TABLE "oauth_client_secrets" DROP CONSTRAINT "FK_09ad2925f839033d8680cdc2b1e"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_oauth_revoked_tokens_expiry"');
    await queryRunner.query('DROP TABLE "oauth_revoked_tokens"');
    await queryRunner.query('DROP INDEX "public"."IDX_oauth_client_secrets_client"');
    await queryRunner.query('DROP TABLE "oauth_client_secrets"');
    await queryRunner.query('DROP TABLE "oauth_clients"');
  }
}
