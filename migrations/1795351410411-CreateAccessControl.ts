import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAccessControl1795351410411 implements MigrationInterface {
  name = 'CreateAccessControl1795351410411';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "policy_set_state" ("singleton" boolean NOT NULL DEFAULT true, "version" bigint NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_policy_set_state_single_row" CHECK ("singleton"), CONSTRAINT "PK_d4473a169f99f109a0ec0b9cc4f" PRIMARY KEY ("singleton"))',
    );
    await queryRunner.query(
      'CREATE TABLE "policies" ("id" uuid NOT NULL DEFAULT uuidv7(), "name" text NOT NULL, "description" text NOT NULL DEFAULT \'\', "effect" text NOT NULL, "priority" integer NOT NULL, "subjects" text array NOT NULL, "actions" text array NOT NULL, "resources" text array NOT NULL, "condition" text, "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_policies_targets" CHECK (cardinality("subjects") > 0 AND cardinality("actions") > 0 AND cardinality("resources") > 0), CONSTRAINT "CHK_policies_effect" CHECK ("effect" IN (\'allow\', \'deny\')), CONSTRAINT "CHK_policies_name" CHECK ("name" ~ \'^[a-z][a-z0-9_-]{0,62}$\'), CONSTRAINT "PK_603e09f183df0108d8695c57e28" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "UQ_policies_name" ON "policies"  ("name") ');
    await queryRunner.query(
      'CREATE TABLE "roles" ("id" uuid NOT NULL DEFAULT uuidv7(), "name" text NOT NULL, "description" text NOT NULL DEFAULT \'\', "permissions" text array NOT NULL DEFAULT \'{}\', "built_in" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_roles_name" CHECK ("name" ~ \'^[a-z][a-z0-9_-]{0,62}$\'), CONSTRAINT "PK_c1433d71a4838793a49dcad46ab" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "UQ_roles_name" ON "roles"  ("name") ');
    await queryRunner.query(
      'CREATE TABLE "user_roles" ("user_id" uuid NOT NULL, "role_id" uuid NOT NULL, "granted_by" text, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_23ed6f04fe43066df08379fd034" PRIMARY KEY ("user_id", "role_id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_user_roles_role" ON "user_roles"  ("role_id") ');
    await queryRunner.query(
      'ALTER TABLE "user_roles" ADD CONSTRAINT "FK_87b8888186ca9769c960e926870" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "user_roles" ADD CONSTRAINT "FK_b23c65e50a758245a33ee35fda1" FOREIGN KEY ("role_id") REFERENCES "roles"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    // The built-in roles. The admin's permissions are those of GATEHOUSE_PERMISSIONS at the
    // time of writing, spelled out: a migration must mean the same thing forever.
    await queryRunner.query(
      `INSERT INTO "roles" ("name", "description", "permissions", "built_in") VALUES
        ('admin', 'Administers Gatehouse: every permission of its own API.', $1, true),
        ('user', 'Held implicitly by every active user.', '{}', true)`,
      [
        [
          'users:read',
          'users:write',
          'roles:read',
          'roles:write',
          'policies:read',
          'policies:write',
          'clients:read',
          'clients:write',
          'audit:read',
          'authz:check',
        ],
      ],
    );
    await queryRunner.query('INSERT INTO "policy_set_state" ("version") VALUES (1)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "user_roles" DROP CONSTRAINT "FK_b23c65e50a758245a33ee35fda1"',
    );
    await queryRunner.query(
      'ALTER TABLE "user_roles" DROP CONSTRAINT "FK_87b8888186ca9769c960e926870"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_user_roles_role"');
    await queryRunner.query('DROP TABLE "user_roles"');
    await queryRunner.query('DROP INDEX "public"."UQ_roles_name"');
    await queryRunner.query('DROP TABLE "roles"');
    await queryRunner.query('DROP INDEX "public"."UQ_policies_name"');
    await queryRunner.query('DROP TABLE "policies"');
    await queryRunner.query('DROP TABLE "policy_set_state"');
  }
}
