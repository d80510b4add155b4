import { MigrationInterface, QueryRunner } from 'typeorm';

const PERMISSIONS = ['identity_providers:read', 'identity_providers:write'];

/**
 * External identity providers: the providers (secrets sealed), the identities linked to users
 * (keyed by issuer and sub, deleted with the user), sign-ins in flight, the first factor of an
 * MFA challenge (`fed` after a provider), and the built-in `admin` role's new permissions.
 */
export class Federation1796599975285 implements MigrationInterface {
  name = 'Federation1796599975285';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "federation_logins" ("state_hash" bytea NOT NULL, "provider_id" uuid NOT NULL, "secrets_sealed" text NOT NULL, "redirect_uri" text NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "consumed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6b0efff1540dac6a242f7855963" PRIMARY KEY ("state_hash"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_federation_logins_expires" ON "federation_logins"  ("expires_at") ',
    );
    await queryRunner.query(
      'CREATE TABLE "identity_providers" ("id" uuid NOT NULL DEFAULT uuidv7(), "slug" text NOT NULL, "display_name" text NOT NULL, "kind" text NOT NULL, "issuer" text NOT NULL, "client_id" text NOT NULL, "client_secret_sealed" text NOT NULL, "scopes" text array NOT NULL, "claim_mapping" jsonb NOT NULL, "mfa_acr_values" text array NOT NULL DEFAULT \'{}\', "jit_provisioning" boolean NOT NULL, "allowed_email_domains" text array NOT NULL, "link_by_email" boolean NOT NULL, "redirect_uris" text array NOT NULL, "management_api_kind" text, "management_api_url" text, "management_api_token_sealed" text, "webhook_secret_sealed" text, "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_0b652fcfe197910b9d7f287331a" UNIQUE ("slug"), CONSTRAINT "CHK_identity_providers_management_kind" CHECK ("management_api_kind" IS NULL OR "management_api_kind" IN (\'okta\', \'scim\')), CONSTRAINT "CHK_identity_providers_kind" CHECK ("kind" IN (\'okta\', \'asgardeo\', \'keycloak\', \'oidc\')), CONSTRAINT "PK_3ac9e77e3690c03f7f25579c8e0" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "linked_identities" ("id" uuid NOT NULL DEFAULT uuidv7(), "user_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "issuer" text NOT NULL, "subject" text NOT NULL, "email" text, "last_login_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f4bd06631a779a1ecff13f20a6d" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_linked_identities_provider_user" ON "linked_identities"  ("provider_id", "user_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_linked_identities_user" ON "linked_identities"  ("user_id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_linked_identities_issuer_subject" ON "linked_identities"  ("issuer", "subject") ',
    );
    await queryRunner.query(
      'ALTER TABLE "mfa_challenges" ADD "first_factor" text NOT NULL DEFAULT \'pwd\'',
    );
    await queryRunner.query(
      'ALTER TABLE "linked_identities" ADD CONSTRAINT "FK_a42986b6cc1142305c059dbb928" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "linked_identities" ADD CONSTRAINT "FK_8b71bff6fb5b79fc9eaca016bbd" FOREIGN KEY ("provider_id") REFERENCES "identity_providers"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    for (const permission of PERMISSIONS) {
      await queryRunner.query(
        `UPDATE "roles" SET "permissions" = array_append("permissions", $1)
          WHERE "name" = 'admin' AND "built_in" AND NOT ($1 = ANY ("permissions"))`,
        [permission],
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const permission of PERMISSIONS) {
      await queryRunner.query(
        `UPDATE "roles" SET "permissions" = array_remove("permissions", $1)`,
        [permission],
      );
    }
    await queryRunner.query(
      'ALTER TABLE "linked_identities" DROP CONSTRAINT "FK_8b71bff6fb5b79fc9eaca016bbd"',
    );
    await queryRunner.query(
      'ALTER TABLE "linked_identities" DROP CONSTRAINT "FK_a42986b6cc1142305c059dbb928"',
    );
    await queryRunner.query('ALTER TABLE "mfa_challenges" DROP COLUMN "first_factor"');
    await queryRunner.query('DROP INDEX "public"."UQ_linked_identities_issuer_subject"');
    await queryRunner.query('DROP INDEX "public"."IDX_linked_identities_user"');
    await queryRunner.query('DROP INDEX "public"."IDX_linked_identities_provider_user"');
    await queryRunner.query('DROP TABLE "linked_identities"');
    await queryRunner.query('DROP TABLE "identity_providers"');
    await queryRunner.query('DROP INDEX "public"."IDX_federation_logins_expires"');
    await queryRunner.query('DROP TABLE "federation_logins"');
  }
}
