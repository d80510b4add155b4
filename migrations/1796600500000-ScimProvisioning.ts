import { MigrationInterface, QueryRunner } from 'typeorm';

const PERMISSIONS = ['scim:provision', 'scim:provision_all'];

/**
 * SCIM 2.0 provisioning: the Users and Groups provisioning clients create, group members, the
 * expression indexes that make `userName` and a Group's `displayName` unique case-insensitively
 * (and serve `eq` and `sw` filters on them), and the permissions of the SCIM endpoints, held by
 * the built-in `admin` role.
 */
export class ScimProvisioning1796600500000 implements MigrationInterface {
  name = 'ScimProvisioning1796600500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "scim_groups" ("id" uuid NOT NULL, "client_id" text NOT NULL, "external_id" text, "display_name" text NOT NULL, "version" integer NOT NULL DEFAULT \'1\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_8bacda70f9d3c4028b3abe53874" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_scim_groups_client_created" ON "scim_groups"  ("client_id", "created_at", "id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_scim_groups_external_id" ON "scim_groups"  ("client_id", "external_id") WHERE "external_id" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "scim_users" ("user_id" uuid NOT NULL, "client_id" text NOT NULL, "external_id" text, "user_name" text NOT NULL, "active" boolean NOT NULL, "attributes" jsonb NOT NULL DEFAULT \'{}\', "version" integer NOT NULL DEFAULT \'1\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_c3073abd55c09b51fb5873ef040" PRIMARY KEY ("user_id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_scim_users_created" ON "scim_users"  ("created_at", "user_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_scim_users_client_created" ON "scim_users"  ("client_id", "created_at", "user_id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_scim_users_external_id" ON "scim_users"  ("client_id", "external_id") WHERE "external_id" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "scim_group_members" ("group_id" uuid NOT NULL, "user_id" uuid NOT NULL, CONSTRAINT "PK_8b10e33ba5676208fb52a83bb89" PRIMARY KEY ("group_id", "user_id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_scim_group_members_user" ON "scim_group_members"  ("user_id") ',
    );
    await queryRunner.query(
      'ALTER TABLE "scim_groups" ADD CONSTRAINT "FK_8bacda70f9d3c4028b3abe53874" FOREIGN KEY ("id") REFERENCES "roles"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "scim_users" ADD CONSTRAINT "FK_c3073abd55c09b51fb5873ef040" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "scim_group_members" ADD CONSTRAINT "FK_e789fd51be503273b27723fd9a9" FOREIGN KEY ("group_id") REFERENCES "scim_groups"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "scim_group_members" ADD CONSTRAINT "FK_462aa1775cd60740c884ac91cc0" FOREIGN KEY ("user_id") REFERENCES "scim_users"("user_id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_scim_users_user_name" ON "scim_users" (lower("user_name"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_scim_users_user_name_prefix" ON "scim_users" (lower("user_name") text_pattern_ops)',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_scim_groups_display_name" ON "scim_groups" (lower("display_name"))',
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
    await queryRunner.query('DROP INDEX "public"."IDX_scim_groups_display_name"');
    await queryRunner.query('DROP INDEX "public"."IDX_scim_users_user_name_prefix"');
    await queryRunner.query('DROP INDEX "public"."IDX_scim_users_user_name"');
    await queryRunner.query(
      'ALTER TABLE "scim_group_members" DROP CONSTRAINT "FK_462aa1775cd60740c884ac91cc0"',
    );
    await queryRunner.query(
      'ALTER TABLE "scim_group_members" DROP CONSTRAINT "FK_e789fd51be503273b27723fd9a9"',
    );
    await queryRunner.query(
      'ALTER TABLE "scim_users" DROP CONSTRAINT "FK_c3073abd55c09b51fb5873ef040"',
    );
    await queryRunner.query(
      'ALTER TABLE "scim_groups" DROP CONSTRAINT "FK_8bacda70f9d3c4028b3abe53874"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_scim_group_members_user"');
    await queryRunner.query('DROP TABLE "scim_group_members"');
    await queryRunner.query('DROP INDEX "public"."IDX_scim_users_external_id"');
    await queryRunner.query('DROP INDEX "public"."IDX_scim_users_client_created"');
    await queryRunner.query('DROP INDEX "public"."IDX_scim_users_created"');
    await queryRunner.query('DROP TABLE "scim_users"');
    await queryRunner.query('DROP INDEX "public"."IDX_scim_groups_external_id"');
    await queryRunner.query('DROP INDEX "public"."IDX_scim_groups_client_created"');
    await queryRunner.query('DROP TABLE "scim_groups"');
  }
}
